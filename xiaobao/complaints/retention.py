"""Retention of complaint files: anonymise what has expired, keep what is held or still needed.

A case ends (closed, withdrawn, declined, merged); its file is kept for the complaint retention
period (3 years by default) after that, longer while a legal hold is on it or a review of it is
still open. Anonymising keeps everything the statistics need (dates, units, classification,
amounts, outcome) and removes what identifies the person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from xiaobao.complaints.choices import OPEN_STATUSES, TERMINAL_STATUSES
from xiaobao.complaints.models import Complainant, Complaint, ComplaintEvent
from xiaobao.lib.errors import lazy_text
from xiaobao.privacy.choices import RecordType
from xiaobao.privacy.masking import mask_name
from xiaobao.privacy.redaction import redact
from xiaobao.privacy.services import retention_years
from xiaobao.reports import facts as statistics


def _cutoff(now: datetime) -> datetime:
    return now - timedelta(days=365 * retention_years(RecordType.COMPLAINT) + 1)


def expired(now: datetime) -> QuerySet[Complaint]:
    """Ended before the cutoff, not held, not yet anonymised, and no review still open."""
    open_review = Complaint.objects.filter(review_of=OuterRef("pk"), status__in=OPEN_STATUSES)
    return Complaint.objects.filter(
        status__in=TERMINAL_STATUSES,
        ended_at__lt=_cutoff(now),
        anonymised_at__isnull=True,
        legal_hold=False,
    ).exclude(Exists(open_review))


def reasons_to_keep(id_hash: str, phone_hash: str, now: datetime) -> list[str]:
    """Why this person's complaint data may not be deleted yet (for deletion requests)."""
    people = Q()
    if id_hash:
        people |= Q(complainants__id_number_hash=id_hash)
    if phone_hash:
        people |= Q(complainants__phone_hash=phone_hash)
    if not people:
        return []
    cases = Complaint.objects.filter(people, anonymised_at__isnull=True).distinct()
    reasons = []
    for case in cases.only("registry_no", "status", "ended_at", "legal_hold")[:20]:
        if case.legal_hold:
            reasons.append(lazy_text("%(case)s 处于诉讼/争议保全", {"case": case.registry_no}))
        elif case.ended_at is None or case.ended_at >= _cutoff(now):
            reasons.append(lazy_text("%(case)s 在投诉档案保存期内", {"case": case.registry_no}))
    return reasons


def _anonymise(complaint: Complaint, now: datetime) -> None:
    for person in complaint.complainants.all():
        Complainant.objects.filter(pk=person.pk).update(
            name=mask_name(person.name),
            id_number="",
            phone="",
            email="",
            address="",
            card_number="",
            id_number_hash="",
            phone_hash="",
            card_hash="",
            name_index="",
            legal_representative="",
            represents="",
        )
    Complaint.objects.filter(pk=complaint.pk).update(
        narrative=redact(complaint.narrative),
        demand_text=redact(complaint.demand_text),
        sealed_text="",  # the text as typed goes: only the masked text remains
        anonymised_at=now,
    )
    # The events' notes as typed, likewise (an erasure the append-only rule gives way to).
    QuerySet(model=ComplaintEvent).filter(complaint=complaint).exclude(sealed_text="").update(
        sealed_text=""
    )
    decision = getattr(complaint, "decision", None)
    if decision is not None:
        type(decision).objects.filter(pk=decision.pk).update(
            verified_facts=redact(decision.verified_facts), text=redact(decision.text)
        )
    ComplaintEvent.objects.create(
        complaint=complaint,
        action="anonymise",
        occurred_at=now,
        reason="投诉档案保存期满，已匿名化处理",
        data={"retention_years": retention_years(RecordType.COMPLAINT)},
    )
    statistics.refresh([complaint.pk])
    # The search index holds the old text: have it rebuilt from the anonymised case.
    from xiaobao.jobs.services import enqueue

    enqueue("language.index_complaint", {"complaint_id": complaint.pk})


def anonymise_expired(now: datetime, dry_run: bool) -> dict[str, Any]:
    candidates = expired(now)
    held = Complaint.objects.filter(
        status__in=TERMINAL_STATUSES,
        ended_at__lt=_cutoff(now),
        anonymised_at__isnull=True,
        legal_hold=True,
    ).count()
    done = 0
    if not dry_run:
        for pk in list(candidates.values_list("pk", flat=True)):
            with transaction.atomic():
                # Re-check under the lock: a hold placed meanwhile wins.
                complaint = expired(now).select_for_update().filter(pk=pk).first()
                if complaint is not None:
                    _anonymise(complaint, now)
                    done += 1
    return {"expired": candidates.count() if dry_run else done, "anonymised": done, "held": held}
