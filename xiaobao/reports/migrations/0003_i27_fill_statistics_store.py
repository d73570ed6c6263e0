"""Fill the statistics store of an existing database from its registry."""

from django.db import migrations


def fill(apps, schema_editor):
    # The store's one definition of a fact lives in reports.facts, so the backfill uses it (the
    # registry's current models), rather than a copy that could drift from what refresh writes.
    from xiaobao.reports import facts

    facts.rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_i27_statistics_store"),
        ("portal", "0001_initial"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
