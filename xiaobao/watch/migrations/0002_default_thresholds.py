"""Default thresholds and ladder rules; administrators edit them in the admin.

- 办理时限已过半 (50%): the handler;
- 办理时限已用80% (80%): the handler and the unit head;
- 已到办理期限 (100%, the moment the deadline passes, urgent): up to the upper-level
  consumer-protection officer;
- 逾期3日仍未办结 (100% + 72 h, urgent): up to the head-office consumer-protection office.

Complex cases involve the unit head from the 50% mark; major cases reach head office at every
threshold (the sweeper also forces this for any case flagged major).
"""

from django.db import migrations

THRESHOLDS = [
    # code, name, fraction, offset_hours, order
    ("half", "办理时限已过半", "0.5", 0, 10),
    ("eighty", "办理时限已用80%", "0.8", 0, 20),
    ("due", "已到办理期限，尚未答复", "1", 0, 30),
    ("overdue_3d", "逾期3日仍未办结", "1", 72, 40),
]
HANDLER, UNIT_HEAD, BRANCH_OFFICER, HQ_OFFICE = 1, 2, 3, 4
# (threshold, level code or None for every level, reach, urgent)
RULES = [
    ("half", None, HANDLER, False),
    ("eighty", None, UNIT_HEAD, False),
    ("due", None, BRANCH_OFFICER, True),
    ("overdue_3d", None, HQ_OFFICE, True),
    ("half", "COMPLEX", UNIT_HEAD, False),
    ("half", "MAJOR", HQ_OFFICE, True),
    ("eighty", "MAJOR", HQ_OFFICE, True),
    ("due", "MAJOR", HQ_OFFICE, True),
    ("overdue_3d", "MAJOR", HQ_OFFICE, True),
]


def load(apps, schema_editor):
    Threshold = apps.get_model("watch", "Threshold")
    EscalationRule = apps.get_model("watch", "EscalationRule")
    TaxonomyTerm = apps.get_model("complaints", "TaxonomyTerm")
    thresholds = {}
    for code, name, fraction, offset, order in THRESHOLDS:
        thresholds[code], _ = Threshold.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "fraction": fraction,
                "offset_hours": offset,
                "sort_order": order,
            },
        )
    levels = {t.code: t for t in TaxonomyTerm.objects.filter(axis="level")}
    for code, level_code, reach, urgent in RULES:
        if level_code is not None and level_code not in levels:
            continue  # an installation that renamed its levels configures these itself
        EscalationRule.objects.get_or_create(
            threshold=thresholds[code],
            level=levels.get(level_code) if level_code else None,
            defaults={"reach": reach, "urgent": urgent},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("watch", "0001_initial"),
        ("complaints", "0002_load_defaults"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
