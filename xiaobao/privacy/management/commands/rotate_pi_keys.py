"""Re-encrypt personal data under the active key, row by row, while the product keeps running.

Put the new key first in XIAOBAO_PI_KEYS and keep the old ones after it; every process can then
read both. This command rewrites old tokens; when it reports nothing left, drop the old key.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F, TextField
from django.db.models.functions import Cast

from xiaobao.privacy.crypto import needs_rotation
from xiaobao.privacy.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt every encrypted personal-data field with the active key (no downtime)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--dry-run", action="store_true", help="only count what would change")

    def handle(self, *args, **options):
        batch = options["batch_size"]
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            raw = {f"_raw_{name}": Cast(F(name), output_field=TextField()) for name in fields}
            last_pk, changed = 0, 0
            while True:
                rows = list(
                    model._default_manager.filter(pk__gt=last_pk)
                    .order_by("pk")
                    .annotate(**raw)
                    .values("pk", *raw)[:batch]
                )
                if not rows:
                    break
                last_pk = rows[-1]["pk"]
                stale = [r["pk"] for r in rows if any(r[k] and needs_rotation(r[k]) for k in raw)]
                if stale and not options["dry_run"]:
                    with transaction.atomic():
                        for obj in model._default_manager.select_for_update().filter(pk__in=stale):
                            # Assigning the plaintext back re-encrypts it under the active key.
                            model._default_manager.filter(pk=obj.pk).update(
                                **{name: getattr(obj, name) for name in fields}
                            )
                changed += len(stale)
            total += changed
            verb = "需要" if options["dry_run"] else "已"
            self.stdout.write(f"{model._meta.label}: {verb}重新加密 {changed} 行")
        self.stdout.write(self.style.SUCCESS(f"合计 {total} 行"))
