"""The consumer portal's writes: filing, finding one's case, asking for a review, rating.

The portal has no logins. Filings are registered by a system account ("portal", head office,
allowed only to register complaints) through the ordinary lifecycle services, routed to the unit
the consumer chose. A consumer proves they may follow a case with its tracking number (random,
about 59 bits, shown once) plus the last four digits of the phone number they gave.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from xiaobao.complaints import services as complaint_services
from xiaobao.complaints.choices import Satisfaction, Status
from xiaobao.complaints.models import Complaint
from xiaobao.lib.clock import now
from xiaobao.lib.errors import DomainError
from xiaobao.organisation import services as org_services
from xiaobao.organisation.choices import UnitKind
from xiaobao.organisation.models import Unit, User
from xiaobao.portal.models import PortalRating, PortalTicket
from xiaobao.privacy.crypto import get_keyring
from xiaobao.reports import facts as statistics

PORTAL_USERNAME = "portal"
INTAKE_CHANNEL = "PORTAL"
# No 0/O, 1/I/L: people read these numbers aloud and copy them by hand.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TRACKING_LENGTH = 12
RATINGS = (Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED)


def portal_actor() -> User:
    """The system account portal filings are registered by (created on first use)."""
    user = User.objects.filter(username=PORTAL_USERNAME).select_related("unit").first()
    if user is not None:
        return user
    root = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
    if root is None:
        raise DomainError("系统尚未建立机构，暂不能受理投诉。", code="not_configured")
    try:
        with transaction.atomic():
            user = org_services.user_create(
                actor=None,
                username=PORTAL_USERNAME,
                password=None,  # it never logs in
                unit=root,
                display_name="消费者门户（系统）",
                is_staff=False,
            )
            # Register only: reviews are registered through the same right (Art. 20), and the
            # account can neither read the registry nor handle cases.
            user.user_permissions.add(
                Permission.objects.get(
                    content_type__app_label="complaints", codename="add_complaint"
                )
            )
    except (IntegrityError, DomainError):
        pass  # created at the same moment by another request
    return User.objects.select_related("unit").get(username=PORTAL_USERNAME)


def outlets() -> QuerySet[Unit]:
    """The units a consumer may choose: outlets, or every active unit below head office if the
    institution has not recorded its outlets."""
    active = Unit.objects.filter(is_active=True)
    found = active.filter(kind=UnitKind.OUTLET)
    if not found.exists():
        found = active.filter(parent__isnull=False)
    return found.select_related("parent").order_by("path")


# --- tracking numbers ----------------------------------------------------------------------------


def normalise_tracking(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", (value or "").upper())


def format_tracking(token: str) -> str:
    return "-".join(token[i : i + 4] for i in range(0, len(token), 4))


def _mac(purpose: str, message: str) -> str:
    key = get_keyring().hmac_key
    return hmac.new(key, f"{purpose}:{message}".encode(), hashlib.sha256).hexdigest()


def _tracking_hash(token: str) -> str:
    return _mac("portal-ticket", token)


def _verifier(tracking_hash: str, last4: str) -> str:
    return _mac("portal-verify", f"{tracking_hash}:{last4}")


def _last4(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-4:]


# --- filing --------------------------------------------------------------------------------------


@dataclass
class Filing:
    """What the consumer tells us (Art. 13–14); what the bank already holds is not asked."""

    name: str
    phone: str
    unit: Unit
    title: str
    narrative: str
    role: str = "self"
    represents: str = ""
    id_number: str = ""
    email: str = ""
    address: str = ""
    complained_staff_name: str = ""
    business_category: Any = None
    demands: tuple[Any, ...] = ()
    demand_text: str = ""
    amount: Decimal | None = None


@transaction.atomic
def portal_file(*, filing: Filing) -> tuple[Complaint, str]:
    """Register the complaint at the chosen unit and issue its tracking number (returned once)."""
    if not outlets().filter(pk=filing.unit.pk).exists():
        raise DomainError("请选择被投诉的网点。", code="invalid_unit", field="unit")
    if len(_last4(filing.phone)) < 4:
        raise DomainError(
            "请填写联系电话，查询进度时需要核对后四位。", code="required", field="phone"
        )
    complaint = complaint_services.complaint_register(
        actor=portal_actor(),
        unit=filing.unit,
        complained_unit=filing.unit,
        received_at=now(),
        intake_channel=INTAKE_CHANNEL,
        title=filing.title,
        narrative=filing.narrative,
        complainants=[
            complaint_services.ComplainantData(
                name=filing.name,
                role=filing.role,
                phone=filing.phone,
                id_number=filing.id_number,
                email=filing.email,
                address=filing.address,
                represents=filing.represents,
            )
        ],
        complained_staff_name=filing.complained_staff_name,
        business_category=filing.business_category,
        demands=list(filing.demands),
        demand_text=filing.demand_text,
        amount=filing.amount,
    )
    token = "".join(secrets.choice(ALPHABET) for _ in range(TRACKING_LENGTH))
    tracking_hash = _tracking_hash(token)
    PortalTicket.objects.create(
        complaint=complaint,
        tracking_hash=tracking_hash,
        verifier=_verifier(tracking_hash, _last4(filing.phone)),
    )
    return complaint, format_tracking(token)


# A verifier no ticket has: a miss costs the same comparison as a hit.
_NO_TICKET = "0" * 64


def portal_find(*, tracking_number: str, phone_last4: str) -> PortalTicket | None:
    """The ticket for this number and these digits, or None — the same None (and about the same
    time) whether the number is unknown or the digits are wrong."""
    token = normalise_tracking(tracking_number)
    digits = re.sub(r"\D", "", phone_last4 or "")
    tracking_hash = _tracking_hash(token)
    ticket = (
        PortalTicket.objects.select_related("complaint").filter(tracking_hash=tracking_hash).first()
    )
    expected = ticket.verifier if ticket is not None else _NO_TICKET
    matches = hmac.compare_digest(expected, _verifier(tracking_hash, digits))
    if ticket is None or not matches or len(digits) != 4 or len(token) != TRACKING_LENGTH:
        return None
    return ticket


def tracking_key(tracking_number: str) -> str:
    """A stable key for per-number attempt limits that does not reveal the number."""
    return _tracking_hash(normalise_tracking(tracking_number))[:32]


# --- after the answer ----------------------------------------------------------------------------


def review_open(complaint: Complaint) -> bool:
    """Whether the consumer may still ask for a review (Art. 20: within 30 days of the notice)."""
    if complaint.is_review or complaint.status not in (Status.NOTIFIED, Status.CLOSED):
        return False
    if complaint.reviews.exists():
        return False
    window = complaint_services.review_deadline(complaint)
    return window is not None and now() < window[1]


def portal_request_review(*, ticket: PortalTicket, narrative: str) -> Complaint:
    """A written request for review, filed by the consumer in the portal (Art. 20)."""
    return complaint_services.review_request(
        actor=portal_actor(),
        complaint=ticket.complaint,
        requested_at=now(),
        narrative=narrative,
        intake_channel=INTAKE_CHANNEL,
    )


@transaction.atomic
def portal_rate(*, ticket: PortalTicket, result: str, comments: str = "") -> PortalRating:
    """Record the consumer's satisfaction with the answer, once, after being told of it."""
    complaint = Complaint.objects.select_for_update().get(pk=ticket.complaint_id)
    if complaint.notified_at is None:
        raise DomainError("收到处理决定后才能评价。", code="not_notified")
    if result not in RATINGS:
        raise DomainError("请选择满意程度。", code="required", field="result")
    if PortalRating.objects.filter(complaint=complaint).exists():
        raise DomainError("您已评价过本次处理结果，感谢您的反馈。", code="already_rated")
    rating = PortalRating.objects.create(
        complaint=complaint, result=result, comments=comments.strip()[:1000]
    )
    statistics.refresh([complaint.pk])
    return rating
