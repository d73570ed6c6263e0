"""Reads of pre-review and suitability, always through the branch scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from xiaobao.organisation.scope import visible_to
from xiaobao.products.choices import OPEN_STATUSES
from xiaobao.products.models import (
    Opinion,
    Product,
    ProductComplaint,
    ReadviceNotice,
    Review,
    RiskProfile,
    SaleCheck,
)


def reviews_for(user: Any) -> QuerySet[Review]:
    return visible_to(
        user, Review.objects.select_related("unit", "department", "product", "reviewer")
    )


def open_reviews(user: Any) -> QuerySet[Review]:
    return reviews_for(user).filter(status__in=OPEN_STATUSES)


def products_for(user: Any) -> QuerySet[Product]:
    """The product register is shared head-office data: everyone with the right sees all of it."""
    if not getattr(user, "is_active", False) or not user.has_perm("products.view_product"):
        return Product.objects.none()
    return Product.objects.all()


def sale_checks_for(user: Any) -> QuerySet[SaleCheck]:
    return visible_to(user, SaleCheck.objects.select_related("product", "unit", "seller"))


def profiles_for(user: Any) -> QuerySet[RiskProfile]:
    return visible_to(user, RiskProfile.objects.select_related("unit"))


def readvice_for(user: Any) -> QuerySet[ReadviceNotice]:
    return visible_to(user, ReadviceNotice.objects.select_related("product", "unit"))


def opinions_of(review: Review) -> QuerySet[Opinion]:
    return review.opinions.select_related(
        "issued_by", "responded_by", "response_approver", "decided_by"
    )


def _add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year, month = d.year + month // 12, month % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)


def _start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


@dataclass
class PostLaunch:
    """Complaints naming the reviewed product in the first 3 and 6 months after its launch."""

    launched_on: date | None
    at_3_months: int = 0
    at_6_months: int = 0
    links: list[ProductComplaint] = field(default_factory=list)
    # False while the window has not ended yet (the figure may still grow).
    complete_3: bool = False
    complete_6: bool = False


def launch_date(review: Review) -> date | None:
    launch = review.launches.filter(matches=True).order_by("launched_on").first()
    if launch is not None:
        return launch.launched_on
    return review.product.launched_on if review.product_id and review.product else None


def post_launch(review: Review, *, user: Any, today: date | None = None) -> PostLaunch:
    launched = launch_date(review) if review.product_id else None
    if launched is None or review.product_id is None:
        return PostLaunch(launched_on=None)
    today = today or timezone.localdate()
    m3, m6 = _add_months(launched, 3), _add_months(launched, 6)
    links = ProductComplaint.objects.filter(
        product_id=review.product_id, received_at__gte=_start(launched)
    )
    visible = visible_to(user, links.select_related("complaint")).filter(received_at__lt=_start(m6))
    return PostLaunch(
        launched_on=launched,
        at_3_months=links.filter(received_at__lt=_start(m3)).count(),
        at_6_months=links.filter(received_at__lt=_start(m6)).count(),
        links=list(visible.order_by("received_at")[:50]),
        complete_3=today >= m3,
        complete_6=today >= m6,
    )
