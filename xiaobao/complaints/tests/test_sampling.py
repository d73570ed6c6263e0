"""The 待回访 sampling rule (pure)."""

from __future__ import annotations

from xiaobao.complaints.sampling import DISSATISFIED, MAJOR, SAMPLED, follow_up_reason, in_share


def test_share_is_stable_and_about_the_asked_percentage():
    numbers = [f"TS2026-{n:06d}" for n in range(1, 2001)]
    picked = [n for n in numbers if in_share(n, 20)]
    assert 300 <= len(picked) <= 500
    assert picked == [n for n in numbers if in_share(n, 20)]  # same answer every time
    assert all(in_share(n, 100) for n in numbers[:50])
    assert not any(in_share(n, 0) for n in numbers[:50])


def test_major_and_dissatisfied_always_then_the_sample():
    reason = follow_up_reason
    assert reason(registry_no="TS2026-1", is_major=True, portal_result="", percent=0) == MAJOR
    assert (
        reason(registry_no="TS2026-1", is_major=False, portal_result="unsatisfied", percent=0)
        == DISSATISFIED
    )
    assert reason(registry_no="TS2026-1", is_major=False, portal_result="", percent=0) is None
    assert reason(registry_no="TS2026-1", is_major=False, portal_result="", percent=100) == SAMPLED
