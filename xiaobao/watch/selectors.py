"""Reads for the watch: who stands on each step of a case's ladder, and a user's inbox."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from xiaobao.complaints.models import Complaint
from xiaobao.organisation.choices import Role
from xiaobao.organisation.models import Unit, User
from xiaobao.organisation.roles import group_name
from xiaobao.organisation.scope import scope_q
from xiaobao.watch.choices import LadderStep
from xiaobao.watch.models import Notification

_STEP_ROLES = {
    LadderStep.UNIT_HEAD: Role.UNIT_HEAD,
    LadderStep.BRANCH_OFFICER: Role.BRANCH_CP_OFFICER,
    LadderStep.HQ_OFFICE: Role.HQ_CP_OFFICER,
}


def _staff_above(unit_path: str) -> dict[int, list[User]]:
    """The heads and officers on the steps above a unit (the handler step is per case)."""
    chain = [int(seg) for seg in unit_path.strip("/").split("/") if seg]
    roles = {group_name(role): step for step, role in _STEP_ROLES.items()}
    found: dict[int, dict[int, list[int]]] = {step: {} for step in _STEP_ROLES}
    rows = (
        User.objects.filter(is_active=True, unit_id__in=chain, groups__name__in=list(roles))
        .values_list("pk", "unit_id", "groups__name")
        .order_by("pk")
    )
    for pk, unit_id, role_group in rows:
        found[roles[role_group]].setdefault(unit_id, []).append(pk)

    picked: dict[int, list[int]] = {}
    for step in (LadderStep.UNIT_HEAD, LadderStep.BRANCH_OFFICER):
        nearest = next((u for u in reversed(chain) if u in found[step]), None)
        picked[step] = found[step].get(nearest, []) if nearest is not None else []
    picked[LadderStep.HQ_OFFICE] = found[LadderStep.HQ_OFFICE].get(chain[0], []) if chain else []
    users = User.objects.in_bulk({pk for pks in picked.values() for pk in pks})
    return {step: [users[pk] for pk in pks if pk in users] for step, pks in picked.items()}


def ladder(
    *, complaint: Complaint, cache: dict[str, dict[int, list[User]]] | None = None
) -> dict[int, list[User]]:
    """Every step of the case's ladder and the active staff on it (a step may be empty).

    - handler: the case's named handler;
    - unit head: the heads of the nearest unit at or above the case's unit that has one
      (an outlet without a head in the system reports to its sub-branch's head);
    - upper-level consumer-protection officer: the nearest unit at or above that has one;
    - head-office consumer-protection office: the officers at the root of the tree.

    `cache` (one sweep pass) keeps the steps above each unit: cases of one unit share them.
    """
    path = complaint.unit.path
    above = cache.get(path) if cache is not None else None
    if above is None:
        above = _staff_above(path)
        if cache is not None:
            cache[path] = above
    handler = complaint.handler
    mine = [handler] if handler is not None and handler.is_active else []
    return {LadderStep.HANDLER: mine, **above}


def recipients(
    *, complaint: Complaint, reach: int, cache: dict[str, dict[int, list[User]]] | None = None
) -> list[tuple[int, User]]:
    """(step, user) for every step up to `reach`, each user once at their lowest step.

    Nobody may be lost: if no one at all stands on the steps up to `reach` (no handler yet, no
    head configured) the notice climbs until it finds someone.
    """
    steps = ladder(complaint=complaint, cache=cache)
    top = max(LadderStep.values)
    while True:
        chosen: dict[int, tuple[int, User]] = {}
        for step in sorted(s for s in steps if s <= reach):
            for user in steps[step]:
                chosen.setdefault(user.pk, (step, user))
        if chosen or reach >= top:
            return list(chosen.values())
        reach += 1


def extension_approvers(*, complaint: Complaint, target_days: int) -> list[tuple[int, User]]:
    """Who is told that an extension waits for approval: (ladder step, user) pairs.

    Up to the policy's first extension (30 days) the heads of the nearest unit at or above the
    case's unit and the nearest consumer-protection officers may approve; beyond it (60 days)
    only the head of a unit above the case's unit or a head-office senior manager may
    (Art. 18), so those are told: the nearest upper unit's heads and the senior managers.
    """
    chain = [int(seg) for seg in complaint.unit.path.strip("/").split("/") if seg]
    if not chain:
        return []
    first = int(complaint.deadline_policy.get("extension_days") or 30)
    people: list[tuple[int, User]]
    if target_days <= first:
        steps = ladder(complaint=complaint)
        people = [
            (int(step), user)
            for step in (LadderStep.UNIT_HEAD, LadderStep.BRANCH_OFFICER)
            for user in steps.get(step, [])
        ]
    else:
        heads = group_name(Role.UNIT_HEAD)
        above = chain[:-1]
        by_unit: dict[int, list[User]] = {}
        for user in User.objects.filter(
            is_active=True, unit_id__in=above, groups__name=heads
        ).order_by("pk"):
            by_unit.setdefault(user.unit_id, []).append(user)
        nearest = next((u for u in reversed(above) if u in by_unit), None)
        people = (
            [(int(LadderStep.UNIT_HEAD), u) for u in by_unit.get(nearest, [])] if nearest else []
        )
        people += [
            (int(LadderStep.HQ_OFFICE), u)
            for u in User.objects.filter(
                is_active=True, unit_id=chain[0], groups__name=group_name(Role.HQ_SENIOR_MANAGER)
            ).order_by("pk")
        ]
    seen: set[int] = set()
    out: list[tuple[int, User]] = []
    for step, user in people:
        if user.pk not in seen:
            seen.add(user.pk)
            out.append((step, user))
    return out


def consumer_protection_officers(*, unit: Unit) -> list[User]:
    """The consumer-protection officers of the unit concerned: those of the nearest unit at or
    above `unit` that has any, else the head-office office (an outlet's matter goes to its
    sub-branch's or branch's officer)."""
    rungs = escalation_ladder(unit=unit)
    return rungs[0][1] if rungs else []


def escalation_ladder(*, unit: Unit) -> list[tuple[Unit, list[User]]]:
    """The consumer-protection officers a matter of `unit` escalates to, bottom to top.

    Rungs: the officers of the nearest unit at or above `unit` that has any, then those of the
    next unit above that has any, then the head-office consumer-protection office (the root).
    A unit without officers is skipped (an outlet reports to its sub-branch's or branch's
    officer); empty rungs are left out and nobody appears twice. For tasks and later programme
    records: the complaint sweeper keeps its own ladder (handler, unit head …) above.
    """
    chain = [int(seg) for seg in unit.path.strip("/").split("/") if seg]
    if not chain:
        return []
    officer_roles = [group_name(Role.BRANCH_CP_OFFICER), group_name(Role.HQ_CP_OFFICER)]
    by_unit: dict[int, list[int]] = {}
    for pk, unit_id in (
        User.objects.filter(is_active=True, unit_id__in=chain, groups__name__in=officer_roles)
        .values_list("pk", "unit_id")
        .order_by("pk")
        .distinct()
    ):
        by_unit.setdefault(unit_id, []).append(pk)
    root = chain[0]
    below_root = [u for u in reversed(chain[1:]) if by_unit.get(u)][:2]
    picked = [*below_root, root] if by_unit.get(root) else below_root
    users = User.objects.in_bulk({pk for u in picked for pk in by_unit[u]})
    units = Unit.objects.in_bulk(picked)
    seen: set[int] = set()
    rungs: list[tuple[Unit, list[User]]] = []
    for unit_id in picked:
        fresh = [users[pk] for pk in by_unit[unit_id] if pk not in seen]
        seen.update(u.pk for u in fresh)
        if fresh:
            rungs.append((units[unit_id], fresh))
    return rungs


def inbox(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notices about cases still in their scope (a move to another branch
    takes the old branch's cases out of sight, notices included)."""
    qs = Notification.objects.filter(recipient=user).filter(scope_q(user, Notification))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.select_related("complaint", "unit").order_by("-created_at", "-id")


def unread_count(*, user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return inbox(user=user, unread_only=True).count()


def pending_digest_users(*, before: Any) -> list[int]:
    """Users with digest deliveries due before `before` and not yet sent."""
    from xiaobao.watch.models import Delivery

    return list(
        Delivery.objects.filter(
            Q(delivered_at__isnull=True) & Q(digest=True) & Q(deliver_after__lte=before)
        )
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )
