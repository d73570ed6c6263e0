"""Notifications about any record: a unit (the scope), a generic target, a link, a dedupe key.

Existing notices are all about complaints: their unit is the complaint's unit.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_unit(apps, schema_editor):
    Notification = apps.get_model("watch", "Notification")
    Complaint = apps.get_model("complaints", "Complaint")
    unit = Complaint.objects.filter(pk=OuterRef("complaint_id")).values("unit_id")[:1]
    Notification.objects.filter(unit__isnull=True).update(unit_id=Subquery(unit))
    if schema_editor.connection.vendor == "postgresql":
        # The filled foreign keys are checked now, so the column can be made NOT NULL below
        # (PostgreSQL refuses to alter a table with pending deferred checks).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0005_statistics_facts'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('organisation', '0001_initial'),
        ('watch', '0002_default_thresholds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='dedupe_key',
            field=models.CharField(blank=True, max_length=120, verbose_name='去重键'),
        ),
        migrations.AddField(
            model_name='notification',
            name='target_id',
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name='事项编号'),
        ),
        migrations.AddField(
            model_name='notification',
            name='target_type',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype', verbose_name='事项类型'),
        ),
        migrations.AddField(
            model_name='notification',
            name='unit',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organisation.unit', verbose_name='所属机构'),
        ),
        migrations.RunPython(fill_unit, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='notification',
            name='unit',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organisation.unit', verbose_name='所属机构'),
        ),
        migrations.AddField(
            model_name='notification',
            name='url',
            field=models.CharField(blank=True, max_length=300, verbose_name='链接'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='complaint',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='notifications', to='complaints.complaint', verbose_name='投诉'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('deadline', '期限提醒'), ('major', '重大投诉上报'), ('reminder', '到期提醒'), ('escalation', '逾期督办'), ('notice', '工作通知')], max_length=16, verbose_name='类型'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='step',
            field=models.PositiveSmallIntegerField(blank=True, choices=[(1, '处理人'), (2, '机构负责人'), (3, '上级机构消保专员'), (4, '总行消保办')], null=True, verbose_name='接收人层级'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['target_type', 'target_id'], name='notification_target_idx'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.UniqueConstraint(condition=models.Q(('dedupe_key', ''), _negated=True), fields=('recipient', 'dedupe_key'), name='notification_once_per_key'),
        ),
    ]
