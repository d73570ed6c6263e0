"""Which thresholds apply to a case, and the moment each one is reached.

A threshold is a share of the allowed time (0.5, 0.8, 1.0) plus an optional offset ("3 days
overdue" is 1.0 + 72 h). The share is measured from the case's clock start (receipt, or the
arrival of new facts) moved on by the days the clock was paused, so the time spent on appraisal
or mediation is not counted as used: a case paused for a month and then resumed has not
suddenly used 80% of its time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from xiaobao.complaints import clock
from xiaobao.complaints.models import Complaint
from xiaobao.deadlines.engine import fraction_used
from xiaobao.deadlines.workcal import WorkCalendar
from xiaobao.watch.models import EscalationRule, Threshold


@dataclass(frozen=True)
class Planned:
    """One threshold as it applies to one case and one deadline."""

    threshold: Threshold
    rule: EscalationRule
    moment: datetime


class RuleBook:
    """Active thresholds and their rules, read once per sweep pass."""

    def __init__(self, thresholds: list[Threshold], rules: list[EscalationRule]) -> None:
        self.thresholds = thresholds
        self._rules = {(r.threshold_id, r.level_id): r for r in rules}

    @classmethod
    def load(cls) -> RuleBook:
        thresholds = list(Threshold.objects.filter(is_active=True))
        return cls(thresholds, list(EscalationRule.objects.filter(threshold__in=thresholds)))

    def rule_for(self, threshold: Threshold, level_id: int | None) -> EscalationRule | None:
        """The level's own rule if it has one (an inactive one silences the threshold), else
        the rule for every level."""
        rule = self._rules.get((threshold.pk, level_id)) or self._rules.get((threshold.pk, None))
        return rule if rule is not None and rule.is_active else None

    def plan(self, complaint: Complaint, *, start: datetime, due: datetime) -> list[Planned]:
        planned = []
        for threshold in self.thresholds:
            rule = self.rule_for(threshold, complaint.level_id)
            if rule is not None:
                planned.append(Planned(threshold, rule, threshold.moment(start=start, due=due)))
        return sorted(planned, key=lambda p: (p.moment, p.threshold.fraction, p.threshold.pk))


def clock_start(complaint: Complaint, *, calendar: WorkCalendar) -> datetime:
    """The case's clock start moved on by its closed pauses (whole days, as the engine counts)."""
    base = complaint.clock_restarted_at or complaint.received_at
    paused_days = clock.compute_for(complaint, calendar=calendar).paused_days
    return base + timedelta(days=paused_days)


def used_share(*, start: datetime, due: datetime, now: datetime) -> float:
    """Share of the allowed time used (for the notice and the event), 1.0 once due."""
    if due <= start:
        return 1.0 if now >= due else 0.0
    return round(fraction_used(clock_start_at=start, due_at=due, now=now), 4)
