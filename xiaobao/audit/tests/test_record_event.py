from __future__ import annotations

import pytest

from xiaobao.audit.models import AppendOnlyError, RecordEvent
from xiaobao.audit.selectors import timeline
from xiaobao.audit.services import record_event
from xiaobao.organisation.scope import visible_to


def test_events_of_a_record_are_its_timeline_in_order_and_never_change(org, people):
    first = record_event(
        org.outlet_a,
        action="submit",
        actor=people.officer_a,
        unit=org.outlet_a,
        from_status="draft",
        to_status="submitted",
        reason="材料齐全",
    )
    record_event(org.outlet_a, action="approve", actor=people.hq_officer, unit=org.outlet_a)
    record_event(org.outlet_b, action="submit", actor=people.officer_b, unit=org.outlet_b)
    assert [e.action for e in timeline(org.outlet_a)] == ["submit", "approve"]
    assert (first.from_status, first.to_status, first.reason) == ("draft", "submitted", "材料齐全")
    first.reason = "改写"
    with pytest.raises(AppendOnlyError):
        first.save()
    with pytest.raises(AppendOnlyError):
        RecordEvent.objects.filter(pk=first.pk).update(reason="改写")


def test_events_are_scoped_by_their_unit(org, people):
    record_event(org.outlet_a, action="submit", actor=None, unit=org.outlet_a)
    record_event(org.outlet_b, action="submit", actor=None, unit=org.outlet_b)
    assert visible_to(people.officer_a, RecordEvent.objects.all()).count() == 1
    assert visible_to(people.hq_officer, RecordEvent.objects.all()).count() == 2
