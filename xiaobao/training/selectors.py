"""Reads of training: what a member of staff sees, and the figures (coverage, exams, contests,
qualifications) summed over a unit's subtree.

Coverage counts staff by their own unit, wherever the session was held: a person of outlet A
trained at the branch's session is trained for outlet A. Sessions, hours and attendance 人次 are
counted by the holding unit. Contests are counted as contests, never as training hours.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from xiaobao.deadlines.engine import TZ
from xiaobao.lib.metrics import rate
from xiaobao.organisation.choices import StaffCategory, UnitKind
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.scope import scope_q
from xiaobao.training import conf
from xiaobao.training.choices import ATTENDED, AttemptStatus, SessionStatus
from xiaobao.training.models import (
    Attempt,
    Attendance,
    Contest,
    ContestEntry,
    Exam,
    Qualification,
    Session,
)

HELD = (SessionStatus.SIGNING, SessionStatus.CLOSED)


def _span(first: date, last: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time.min, tzinfo=TZ),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=TZ),
    )


def _active(user: Any) -> bool:
    return getattr(user, "unit", None) is not None and getattr(user, "is_active", False)


# --- what a user sees ---------------------------------------------------------------------------


def sessions_for(user: Any) -> QuerySet[Session]:
    """Sessions held in the user's subtree, and sessions the user is on the roster of."""
    if not _active(user):
        return Session.objects.none()
    mine = Attendance.objects.filter(user=user).values("session_id")
    return Session.objects.filter(scope_q(user, Session) | Q(pk__in=mine)).select_related(
        "unit", "course"
    )


def exams_for(user: Any) -> QuerySet[Exam]:
    """Exams set in the user's subtree, and exams set above the user for them to sit."""
    if not _active(user):
        return Exam.objects.none()
    path = user.unit.path
    above = [path[:i] for i in range(1, len(path) + 1) if path[i - 1] == "/"]
    return Exam.objects.filter(scope_q(user, Exam) | Q(unit__path__in=above)).select_related(
        "unit", "session"
    )


def attempts_for(user: Any) -> QuerySet[Attempt]:
    if not _active(user):
        return Attempt.objects.none()
    return Attempt.objects.filter(scope_q(user, Attempt) | Q(user=user)).select_related(
        "exam", "user__unit"
    )


def qualifications_for(user: Any) -> QuerySet[Qualification]:
    if not _active(user):
        return Qualification.objects.none()
    return Qualification.objects.filter(scope_q(user, Qualification) | Q(user=user)).select_related(
        "user__unit"
    )


def contests_for(user: Any) -> QuerySet[Contest]:
    if not _active(user):
        return Contest.objects.none()
    return Contest.objects.filter(scope_q(user, Contest)).select_related("unit")


# --- staff and coverage -------------------------------------------------------------------------


def staff(unit: Unit, on: date) -> QuerySet[User]:
    """The headcount of `unit`'s subtree on `on`: active staff already hired (outsourced and agency
    staff included)."""
    return User.objects.filter(unit__path__startswith=unit.path, is_active=True).filter(
        Q(hire_date__isnull=True) | Q(hire_date__lte=on)
    )


def attended(first: date, last: date) -> QuerySet[Attendance]:
    start, end = _span(first, last)
    return Attendance.objects.filter(
        status__in=ATTENDED,
        session__status__in=HELD,
        session__starts_at__gte=start,
        session__starts_at__lt=end,
    )


def trained(unit: Unit, first: date, last: date) -> QuerySet[User]:
    """Staff of the headcount who attended at least one session begun in the period."""
    done = attended(first, last).filter(user=OuterRef("pk"))
    return staff(unit, last).filter(Exists(done))


def not_yet_trained(unit: Unit, first: date, last: date) -> QuerySet[User]:
    done = attended(first, last).filter(user=OuterRef("pk"))
    return (
        staff(unit, last)
        .exclude(Exists(done))
        .select_related("unit")
        .order_by("-hire_date", "unit__path", "username")
    )


@dataclass(frozen=True)
class CoverageRow:
    category: str
    label: Any
    headcount: int
    trained: int

    @property
    def rate(self) -> Decimal | None:
        return rate(self.trained, self.headcount)


UNCATEGORISED = _("未分类")


def coverage(unit: Unit, first: date, last: date) -> list[CoverageRow]:
    """Distinct staff trained ÷ headcount, by staff category, then the total (last row)."""
    heads = Counter(staff(unit, last).values_list("staff_category", flat=True))
    done = Counter(trained(unit, first, last).values_list("staff_category", flat=True))
    rows = [CoverageRow(c.value, c.label, heads[c.value], done[c.value]) for c in StaffCategory]
    if heads[""]:
        rows.append(CoverageRow("", UNCATEGORISED, heads[""], done[""]))
    rows.append(CoverageRow("total", _("合计"), sum(heads.values()), sum(done.values())))
    return rows


def new_hires(unit: Unit, first: date, last: date) -> QuerySet[User]:
    return User.objects.filter(
        unit__path__startswith=unit.path,
        is_active=True,
        hire_date__gte=first,
        hire_date__lte=last,
    )


def new_hire_figures(unit: Unit, first: date, last: date) -> tuple[int, int]:
    """(new hires due, trained within D days): a hire whose D days have not yet run out and who is
    not yet trained is not due."""
    days = conf.new_hire_days()
    due = on_time = 0
    for user in new_hires(unit, first, last):
        assert user.hire_date is not None
        window_end = user.hire_date + timedelta(days=days)
        start, end = _span(user.hire_date, window_end)
        in_time = Attendance.objects.filter(
            user=user,
            status__in=ATTENDED,
            session__status__in=HELD,
            session__starts_at__gte=start,
            session__starts_at__lt=end,
        ).exists()
        if in_time or window_end <= last:
            due += 1
            on_time += int(in_time)
    return due, on_time


# --- sessions, exams, contests ------------------------------------------------------------------


def held_sessions(unit: Unit, first: date, last: date) -> QuerySet[Session]:
    start, end = _span(first, last)
    return Session.objects.filter(
        unit__path__startswith=unit.path,
        status=SessionStatus.CLOSED,
        starts_at__gte=start,
        starts_at__lt=end,
    )


def session_figures(unit: Unit, first: date, last: date) -> dict[str, Any]:
    sessions = held_sessions(unit, first, last)
    return {
        "sessions": sessions.count(),
        "hours": sessions.aggregate(h=Sum("hours"))["h"] or Decimal(0),
        "attendance": Attendance.objects.filter(session__in=sessions, status__in=ATTENDED).count(),
    }


def exam_results(unit: Unit, first: date, last: date) -> dict[int, tuple[Decimal, bool]]:
    """Each taker of the subtree with a paper handed in during the period: best score, passed."""
    start, end = _span(first, last)
    rows = (
        Attempt.objects.filter(
            user__unit__path__startswith=unit.path,
            status=AttemptStatus.LOCKED,
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .values("user_id")
        .annotate(best=Max("score"), passes=Count("pk", filter=Q(passed=True)))
    )
    return {r["user_id"]: (r["best"], r["passes"] > 0) for r in rows}


def exam_figures(unit: Unit, first: date, last: date) -> dict[str, Any]:
    results = exam_results(unit, first, last)
    takers = len(results)
    mean = (
        (sum((r[0] for r in results.values()), Decimal(0)) / takers).quantize(Decimal("0.1"))
        if takers
        else None
    )
    passed = sum(1 for r in results.values() if r[1])
    return {
        "takers": takers,
        "mean_score": mean,
        "passed": passed,
        "pass_rate": rate(passed, takers),
    }


def contest_figures(unit: Unit, first: date, last: date) -> dict[str, int]:
    contests = Contest.objects.filter(
        unit__path__startswith=unit.path, held_on__gte=first, held_on__lte=last
    )
    participants = ContestEntry.members.through.objects.filter(
        contestentry__contest__in=contests
    ).count()
    return {"contests": contests.count(), "participants": participants}


# --- qualifications -----------------------------------------------------------------------------


def valid_q(on: date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def sellers(unit: Unit, on: date) -> QuerySet[User]:
    return staff(unit, on).filter(is_seller=True)


def qualified_sellers(unit: Unit, on: date) -> QuerySet[User]:
    ok = Qualification.objects.filter(valid_q(on), user=OuterRef("pk"))
    return sellers(unit, on).filter(Exists(ok))


def unqualified_sellers(unit: Unit, on: date) -> QuerySet[User]:
    ok = Qualification.objects.filter(valid_q(on), user=OuterRef("pk"))
    return sellers(unit, on).exclude(Exists(ok)).select_related("unit").order_by("unit__path")


def expiring(unit: Unit, on: date, days: int = 60) -> QuerySet[Qualification]:
    """Qualifications of the subtree's staff still valid on `on` that expire within `days`."""
    return Qualification.objects.filter(
        user__unit__path__startswith=unit.path,
        user__is_active=True,
        valid_from__lte=on,
        valid_to__gte=on,
        valid_to__lte=on + timedelta(days=days),
    ).select_related("user__unit")


def sellers_by_outlet(unit: Unit, on: date) -> list[tuple[Unit, int, int]]:
    """Per outlet of the subtree: (outlet, sellers, qualified sellers)."""
    qualified = set(qualified_sellers(unit, on).values_list("pk", flat=True))
    per: dict[int, list[int]] = {}
    for pk, unit_id in sellers(unit, on).values_list("pk", "unit_id"):
        row = per.setdefault(unit_id, [0, 0])
        row[0] += 1
        row[1] += int(pk in qualified)
    outlets = Unit.objects.filter(
        path__startswith=unit.path, kind=UnitKind.OUTLET, is_active=True
    ).order_by("path")
    return [(o, *per.get(o.pk, [0, 0])) for o in outlets]  # type: ignore[misc]


# --- complaints → course topics -----------------------------------------------------------------


def suggested_topics(unit: Unit, on: date, limit: int = 5) -> list[tuple[str, int]]:
    """The complaint causes of the last full quarter in the subtree, most frequent first: the
    topics the next courses should teach."""
    from xiaobao.complaints.models import Complaint
    from xiaobao.reports.selectors import counted

    q_start_month = 3 * ((on.month - 1) // 3) + 1
    this_quarter = date(on.year, q_start_month, 1)
    first = date(on.year - 1, 10, 1) if q_start_month == 1 else date(on.year, q_start_month - 3, 1)
    start, end = _span(first, this_quarter - timedelta(days=1))
    rows = (
        counted(Complaint.objects.all())
        .filter(
            unit__path__startswith=unit.path,
            received_at__gte=start,
            received_at__lt=end,
            cause__isnull=False,
        )
        .values_list("cause__name", flat=True)
    )
    return Counter(rows).most_common(limit)
