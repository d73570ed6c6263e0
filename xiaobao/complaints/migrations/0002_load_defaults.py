"""Load the default taxonomies and deadline policies (domain.md; JR/T 0169-2018 names)."""

from django.db import migrations


def load(apps, schema_editor):
    from xiaobao.complaints import taxonomy_defaults as d

    Term = apps.get_model("complaints", "TaxonomyTerm")
    Revision = apps.get_model("complaints", "TaxonomyRevision")
    Policy = apps.get_model("complaints", "DeadlinePolicy")

    def add(axis, code, name, name_en, order, parent=None, attributes=None):
        term, created = Term.objects.get_or_create(
            axis=axis,
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "parent": parent,
                "sort_order": order,
                "attributes": attributes or {},
            },
        )
        if created:
            Revision.objects.create(
                term=term,
                version=1,
                snapshot={"name": name, "name_en": name_en, "is_active": True,
                          "parent": parent.code if parent else None, "attributes": attributes or {}},
                note="初始数据（JR/T 0169-2018 默认名称）",
            )
        return term

    axes = {
        "business_channel": d.BUSINESS_CHANNELS,
        "business_category": d.BUSINESS_CATEGORIES,
        "cause": d.CAUSES,
        "demand": d.DEMANDS,
        "level": d.LEVELS,
        "tag": d.TAGS,
    }
    for axis, entries in axes.items():
        for i, (code, name, name_en, children) in enumerate(entries):
            parent = add(axis, code, name, name_en, (i + 1) * 10)
            for j, (c_code, c_name, c_en) in enumerate(children):
                add(axis, c_code, c_name, c_en, (i + 1) * 10 + j + 1, parent=parent)
    for i, (code, name, name_en, referral) in enumerate(d.INTAKE_CHANNELS):
        add("intake_channel", code, name, name_en, (i + 1) * 10, attributes={"referral": referral})

    policies = [
        ("complaint", 15, False, 30, 60),
        ("review", 30, False, None, None),
        ("review_request", 30, False, None, None),
        ("regulator_forward", 7, True, None, None),
    ]
    for kind, days, working, ext, max_ext in policies:
        Policy.objects.get_or_create(
            kind=kind,
            defaults={"days": days, "working_days": working, "extension_days": ext,
                      "max_extension_days": max_ext},
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
