from django.db import migrations

DEFAULTS = [
    ("complaint", 3, "人民银行：投诉档案自办结之日起至少保存3年"),
    ("sales", 5, "适当性及销售记录自合同终止之日起保存5年"),
    ("access_log", 5, "个人信息查看记录"),
]


def load(apps, schema_editor):
    Policy = apps.get_model("privacy", "RetentionPolicy")
    for record_type, years, basis in DEFAULTS:
        Policy.objects.get_or_create(record_type=record_type, defaults={"years": years, "basis": basis})


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
