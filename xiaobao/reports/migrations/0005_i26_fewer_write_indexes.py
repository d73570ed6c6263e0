"""Fewer indexes for every counted case to write (issue 26): the fact's unit and a person's fact
were indexed alone and as the first column of a composite index; PostgreSQL kept LIKE copies of
a person's hashes and key that no query reads."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("organisation", "0003_i21_staff_category"),
        ("reports", "0004_i27_monthly_rollups"),
    ]

    operations = [
        migrations.AlterField(
            model_name="complaintfact",
            name="unit",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="organisation.unit",
            ),
        ),
        migrations.AlterField(
            model_name="personfact",
            name="fact",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="people",
                to="reports.complaintfact",
            ),
        ),
        migrations.AlterField(
            model_name="personfact",
            name="id_number_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="personfact",
            name="person_key",
            field=models.CharField(max_length=66),
        ),
        migrations.AlterField(
            model_name="personfact",
            name="phone_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddIndex(
            model_name="personfact",
            index=models.Index(fields=["id_number_hash"], name="person_fact_id_hash_idx"),
        ),
        migrations.AddIndex(
            model_name="personfact",
            index=models.Index(fields=["phone_hash"], name="person_fact_phone_hash_idx"),
        ),
        migrations.AddIndex(
            model_name="personfact",
            index=models.Index(fields=["person_key"], name="person_fact_key_idx"),
        ),
    ]
