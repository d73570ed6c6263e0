import secrets

from django.db import migrations, models

# The kinds of reference data kept per process (see xiaobao.lib.memo); a stamp without a row
# caches nothing until its first writer creates it, so existing databases start with one each.
STAMPS = ("calendar", "permissions", "policies", "products", "taxonomy", "webhooks")  # memo's


def create_stamps(apps, schema_editor):
    Stamp = apps.get_model("lib", "Stamp")
    Stamp.objects.bulk_create(
        [Stamp(name=name, version=secrets.token_hex(8)) for name in STAMPS],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Stamp",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=40, unique=True)),
                ("version", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(create_stamps, migrations.RunPython.noop),
    ]
