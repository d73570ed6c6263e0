"""Threshold moments, rule lookup per handling level, and the clock start after pauses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xiaobao.complaints import services
from xiaobao.complaints.clock import current_calendar
from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.watch.choices import LadderStep
from xiaobao.watch.models import EscalationRule, Threshold
from xiaobao.watch.thresholds import RuleBook, clock_start, used_share

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fraction", "offset", "expected"),
    [
        ("0.5", 0, at(2026, 1, 13, 5)),
        ("0.8", 0, at(2026, 1, 17, 21, 12)),
        ("1", 0, at(2026, 1, 21)),
        ("1", 72, at(2026, 1, 24)),
        ("1", -15, at(2026, 1, 20, 9)),  # "due today", at the start of the working day
    ],
)
def test_moments(fraction, offset, expected):
    threshold = Threshold(code="t", name="t", fraction=Decimal(fraction), offset_hours=offset)
    assert threshold.moment(start=at(2026, 1, 5, 10), due=at(2026, 1, 21)) == expected


def test_the_default_ladder_is_seeded():
    rules = {
        (r.threshold.code, r.level.code if r.level else None): (r.reach, r.urgent)
        for r in EscalationRule.objects.select_related("threshold", "level")
    }
    assert rules[("half", None)] == (LadderStep.HANDLER, False)
    assert rules[("eighty", None)] == (LadderStep.UNIT_HEAD, False)
    assert rules[("due", None)] == (LadderStep.BRANCH_OFFICER, True)
    assert rules[("overdue_3d", None)] == (LadderStep.HQ_OFFICE, True)
    assert rules[("half", "COMPLEX")] == (LadderStep.UNIT_HEAD, False)
    assert all(
        reach == LadderStep.HQ_OFFICE for (_, lvl), (reach, _) in rules.items() if lvl == "MAJOR"
    )


def test_a_level_rule_wins_over_the_default_and_an_inactive_one_silences():
    book = RuleBook.load()
    half = Threshold.objects.get(code="half")
    complex_ = TaxonomyTerm.objects.get(axis="level", code="COMPLEX")
    normal = TaxonomyTerm.objects.get(axis="level", code="NORMAL")
    assert book.rule_for(half, normal.pk).level is None
    assert book.rule_for(half, complex_.pk).reach == LadderStep.UNIT_HEAD
    EscalationRule.objects.filter(threshold=half, level=complex_).update(is_active=False)
    assert RuleBook.load().rule_for(half, complex_.pk) is None
    Threshold.objects.filter(code="half").update(is_active=False)
    assert "half" not in [t.code for t in RuleBook.load().thresholds]


def test_paused_days_move_the_clock_start(accepted, people, frozen):
    calendar = current_calendar()
    assert clock_start(accepted, calendar=calendar) == at(2026, 1, 5, 10)
    frozen(at(2026, 1, 7, 10))
    services.complaint_pause(
        actor=people.handler_a, complaint=accepted, reason="mediation", told_by="phone"
    )
    frozen(at(2026, 1, 11, 10))
    services.complaint_resume(actor=people.handler_a, complaint=accepted)
    accepted.refresh_from_db()
    assert clock_start(accepted, calendar=calendar) == at(2026, 1, 9, 10)
    assert accepted.due_at == at(2026, 1, 25)


def test_used_share():
    start, due = at(2026, 1, 5, 10), at(2026, 1, 21)
    assert used_share(start=start, due=due, now=at(2026, 1, 13, 5)) == pytest.approx(0.5)
    assert used_share(start=start, due=due, now=at(2026, 1, 4)) == 0
    assert used_share(start=due, due=due, now=due) == 1.0
