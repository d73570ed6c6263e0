from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


def catalogue_dirs() -> list[Path]:
    """The project's locale folder and every Xiaobao app's own `locale/` (new apps keep theirs)."""
    dirs = [Path(d) for d in settings.LOCALE_PATHS]
    dirs += [
        Path(app.path) / "locale"
        for app in apps.get_app_configs()
        if app.name.startswith("xiaobao.") and (Path(app.path) / "locale").is_dir()
    ]
    return dirs


def unique_entries(po: polib.POFile) -> polib.POFile:
    """Drop repeated msgids (parallel branches merged with a union merge), keeping the last
    translated one: a compiled catalogue must hold each key once."""
    seen: dict[tuple[str | None, str], polib.POEntry] = {}
    for entry in po:
        key = (entry.msgctxt, entry.msgid)
        if key not in seen or entry.translated():
            seen[key] = entry
    out = polib.POFile()
    out.metadata = po.metadata
    for entry in seen.values():
        out.append(entry)
    return out


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo with polib (no GNU gettext needed)."

    def handle(self, *args, **options):
        compiled = 0
        for locale_dir in catalogue_dirs():
            for po_path in locale_dir.glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                unique_entries(polib.pofile(str(po_path))).save_as_mofile(str(mo_path))
                compiled += 1
        if options["verbosity"] > 1:
            self.stdout.write(f"compiled {compiled} catalogue(s)")
