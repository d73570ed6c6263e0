"""Fewer indexes for every registration to write (issue 26), one that a search needed (27).

Dropped: the foreign-key indexes on a case's unit and handler and on an event's case, each the
first column of a composite index that serves the same lookups; and PostgreSQL's
pattern-matching (LIKE) copies of the complainant's keyed hashes and an event's action, which
no query reads. Added: the referral number in upper case, for the search's case-blind lookup of
a number (it scanned the whole registry).
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0009_i27_major_and_text_indexes"),
        ("organisation", "0003_i21_staff_category"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="complainant",
            name="card_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="complainant",
            name="id_number_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="complainant",
            name="name_index",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="complainant",
            name="phone_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="external_ref",
            field=models.CharField(blank=True, max_length=64, verbose_name="转办编号"),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="handler",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="complaints_handled",
                to=settings.AUTH_USER_MODEL,
                verbose_name="处理人",
            ),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="unit",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="complaints",
                to="organisation.unit",
                verbose_name="责任机构",
            ),
        ),
        migrations.AlterField(
            model_name="complaintevent",
            name="action",
            field=models.CharField(max_length=40, verbose_name="动作"),
        ),
        migrations.AlterField(
            model_name="complaintevent",
            name="complaint",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="complaints.complaint",
                verbose_name="投诉",
            ),
        ),
        migrations.AddIndex(
            model_name="complainant",
            index=models.Index(fields=["id_number_hash"], name="complainant_id_hash_idx"),
        ),
        migrations.AddIndex(
            model_name="complainant",
            index=models.Index(fields=["phone_hash"], name="complainant_phone_hash_idx"),
        ),
        migrations.AddIndex(
            model_name="complainant",
            index=models.Index(fields=["card_hash"], name="complainant_card_hash_idx"),
        ),
        migrations.AddIndex(
            model_name="complainant",
            index=models.Index(fields=["name_index"], name="complainant_name_index_idx"),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(fields=["external_ref"], name="complaint_external_ref_idx"),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                django.db.models.functions.text.Upper("external_ref"),
                name="complaint_ext_ref_upper_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="complaintevent",
            index=models.Index(fields=["action"], name="event_action_idx"),
        ),
    ]
