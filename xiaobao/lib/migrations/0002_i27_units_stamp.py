import secrets

from django.db import migrations


def create_stamp(apps, schema_editor):
    Stamp = apps.get_model("lib", "Stamp")
    Stamp.objects.bulk_create(
        [Stamp(name="units", version=secrets.token_hex(8))], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    """The unit tree, kept per process for the API's intake form (xiaobao.lib.memo.UNITS)."""

    dependencies = [("lib", "0001_i27_stamps")]

    operations = [migrations.RunPython(create_stamp, migrations.RunPython.noop)]
