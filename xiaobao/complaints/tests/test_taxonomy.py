from __future__ import annotations

import pytest

from xiaobao.audit.models import AuditEvent
from xiaobao.complaints import taxonomy
from xiaobao.complaints.choices import Axis
from xiaobao.complaints.models import DeadlinePolicy, TaxonomyRevision, TaxonomyTerm
from xiaobao.lib.errors import DomainError

pytestmark = pytest.mark.django_db


def names(axis: str) -> set[str]:
    return set(TaxonomyTerm.objects.filter(axis=axis, parent=None).values_list("name", flat=True))


def test_the_data_migration_loads_the_standard_defaults():
    assert {"营业网点", "自助机具", "电子渠道", "第三方渠道", "中后台", "其他"} == names(
        Axis.BUSINESS_CHANNEL
    )
    assert {
        "人民币储蓄",
        "贷款",
        "银行卡",
        "支付结算",
        "债务催收",
        "自营理财",
        "银行代理业务",
    } <= names(Axis.BUSINESS_CATEGORY)
    assert len(names(Axis.CAUSE)) == 13
    assert {"普通", "复杂", "重大"} == names(Axis.LEVEL)
    card = TaxonomyTerm.objects.get(axis=Axis.BUSINESS_CATEGORY, code="CARD")
    assert {"借记卡", "信用卡"} == set(card.children.values_list("name", flat=True))
    referrals = TaxonomyTerm.objects.filter(axis=Axis.INTAKE_CHANNEL, attributes__referral=True)
    assert {"R12345", "R12363", "R12378", "R12315", "REGULATOR_LETTER"} == set(
        referrals.values_list("code", flat=True)
    )
    # Every default has its first version in the history.
    assert TaxonomyRevision.objects.count() == TaxonomyTerm.objects.count()
    complaint_policy = DeadlinePolicy.objects.get(kind="complaint")
    assert (
        complaint_policy.days,
        complaint_policy.extension_days,
        complaint_policy.max_extension_days,
    ) == (15, 30, 60)
    assert not complaint_policy.roll_over_holidays
    forward = DeadlinePolicy.objects.get(kind="regulator_forward")
    assert (forward.days, forward.working_days) == (7, True)


def test_edit_retire_and_restore_are_versioned_and_audited():
    term = taxonomy.taxonomy_term_create(
        actor=None, axis=Axis.DEMAND, code="explain_rate", name="解释利率"
    )
    assert term.code == "EXPLAIN_RATE" and term.version == 1
    term = taxonomy.taxonomy_term_update(actor=None, term=term, name="解释利率调整", note="措辞")
    term = taxonomy.taxonomy_term_retire(actor=None, term=term)
    assert not term.is_active and term.retired_at is not None
    term = taxonomy.taxonomy_term_restore(actor=None, term=term)
    versions = list(
        term.revisions.order_by("version").values_list(
            "version", "snapshot__name", "snapshot__is_active"
        )
    )
    assert versions == [
        (1, "解释利率", True),
        (2, "解释利率调整", True),
        (3, "解释利率调整", False),
        (4, "解释利率调整", True),
    ]
    assert (
        AuditEvent.objects.filter(
            object_type="complaints.taxonomyterm", object_id=str(term.pk)
        ).count()
        == 4
    )


def test_codes_cannot_be_reused_renamed_or_nested_deeper():
    with pytest.raises(DomainError, match="已存在"):
        taxonomy.taxonomy_term_create(actor=None, axis=Axis.CAUSE, code="PRICING", name="定价")
    term = TaxonomyTerm.objects.get(axis=Axis.CAUSE, code="PRICING")
    with pytest.raises(DomainError, match="不能修改"):
        taxonomy.taxonomy_term_update(actor=None, term=term, code="PRICE")
    credit = TaxonomyTerm.objects.get(code="CARD_CREDIT")
    with pytest.raises(DomainError, match="最多两级"):
        taxonomy.taxonomy_term_create(
            actor=None,
            axis=Axis.BUSINESS_CATEGORY,
            code="CARD_CREDIT_GOLD",
            name="金卡",
            parent=credit,
        )
    with pytest.raises(DomainError, match="同一分类维度"):
        taxonomy.taxonomy_term_create(
            actor=None, axis=Axis.CAUSE, code="X", name="x", parent=credit
        )


def test_admin_cannot_delete_terms_or_change_their_code(org, admin_client):
    term = TaxonomyTerm.objects.get(axis=Axis.CAUSE, code="PRICING")
    response = admin_client.get(f"/admin/complaints/taxonomyterm/{term.pk}/delete/")
    assert response.status_code == 403
    response = admin_client.post(
        f"/admin/complaints/taxonomyterm/{term.pk}/change/",
        {
            "axis": "tag",
            "code": "HACKED",
            "name": "定价收费（新）",
            "name_en": "Pricing",
            "sort_order": 70,
            "attributes": "{}",
            "revisions-TOTAL_FORMS": 0,
            "revisions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    term.refresh_from_db()
    assert (term.axis, term.code, term.name, term.version) == (
        "cause",
        "PRICING",
        "定价收费（新）",
        2,
    )
