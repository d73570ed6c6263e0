"""Pre-review and suitability figures in the metric registry (assessment and the year-end summary
read them from here). Each counts records of the unit's subtree in the period `first`..`last`:
reviews by their submitting unit, sale checks by their selling unit."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaobao.lib.metrics import lazy_format, metric, rate
from xiaobao.products import conf
from xiaobao.products.choices import CheckResult, Flag, ObjectType, Response, ReviewStatus
from xiaobao.products.models import LaunchRegistration, Opinion, Product, Review, SaleCheck


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    return start, end


def _between(field: str, first: date, last: date) -> Q:
    start, end = _bounds(first, last)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def reviews_in(unit: Any, first: date, last: date) -> QuerySet[Review]:
    return Review.objects.filter(unit__path__startswith=unit.path).filter(
        _between("submitted_at", first, last)
    )


def checks_in(unit: Any, first: date, last: date) -> QuerySet[SaleCheck]:
    return SaleCheck.objects.filter(unit__path__startswith=unit.path).filter(
        _between("checked_at", first, last)
    )


def _reviews_drill(*, unit: Any, first: date, last: date) -> str:
    return reverse("products:index")


def _checks_drill(*, unit: Any, first: date, last: date) -> str:
    return reverse("products:sale_checks")


@metric(
    "products.reviews",
    label=_("消保审查"),
    unit_label=_("件"),
    description=_("期内送审的事项（含各类审查对象）"),
    drill=_reviews_drill,
)
def reviews(*, unit: Any, first: date, last: date) -> int:
    return reviews_in(unit, first, last).count()


def _by_type(object_type: ObjectType) -> None:
    def read(*, unit: Any, first: date, last: date) -> int:
        return reviews_in(unit, first, last).filter(object_type=object_type).count()

    read.__name__ = f"reviews_{object_type.value}"
    metric(
        f"products.reviews.{object_type.value}",
        label=lazy_format(_("消保审查：%(type)s"), type=object_type.label),
        unit_label=_("件"),
    )(read)


for _type in ObjectType:
    _by_type(_type)


@metric(
    "products.opinions",
    label=_("审查意见"),
    unit_label=_("条"),
    description=_("期内出具的审查意见（必须采纳与建议采纳）"),
)
def opinions(*, unit: Any, first: date, last: date) -> int:
    return (
        Opinion.objects.filter(review__unit__path__startswith=unit.path)
        .filter(_between("issued_at", first, last))
        .count()
    )


@metric(
    "products.adoption_rate",
    label=_("审查意见采纳率"),
    unit_label="%",
    description=_("期内答复的审查意见中采纳或部分采纳的比例"),
    higher_is_better=True,
)
def adoption_rate(*, unit: Any, first: date, last: date) -> Decimal | None:
    answered = (
        Opinion.objects.filter(review__unit__path__startswith=unit.path)
        .filter(_between("responded_at", first, last))
        .exclude(response="")
    )
    adopted = answered.filter(response__in=(Response.ADOPTED, Response.PARTLY)).count()
    return rate(adopted, answered.count())


@metric(
    "products.turnaround_days",
    label=_("平均审查用时"),
    unit_label=_("工作日"),
    description=_("期内出具结论的审查从送审到结论的平均工作日数"),
    higher_is_better=False,
)
def turnaround_days(*, unit: Any, first: date, last: date) -> Decimal | None:
    mean = (
        Review.objects.filter(unit__path__startswith=unit.path, turnaround_days__isnull=False)
        .filter(_between("concluded_at", first, last))
        .aggregate(mean=Avg("turnaround_days"))["mean"]
    )
    return None if mean is None else Decimal(str(mean)).quantize(Decimal("0.1"))


@metric(
    "products.reviews_overdue",
    label=_("超期审查"),
    unit_label=_("件"),
    description=_("期内送审、结论晚于审查期限或至期末仍未结论且已超期的事项"),
    higher_is_better=False,
)
def reviews_overdue(*, unit: Any, first: date, last: date) -> int:
    rows = reviews_in(unit, first, last).exclude(status=ReviewStatus.WITHDRAWN)
    late = 0
    for due, concluded in rows.values_list("due_on", "concluded_at"):
        done = timezone.localdate(concluded) if concluded else None
        if (done and done > due) or (done is None and last > due):
            late += 1
    return late


@metric(
    "products.launched_without_review",
    label=_("未经审查上线的产品"),
    unit_label=_("件"),
    description=_("期内上线、但没有通过消保审查并登记上线记录的产品（应为0）"),
    higher_is_better=False,
)
def launched_without_review(*, unit: Any, first: date, last: date) -> int:
    products = Product.objects.filter(launched_on__gte=first, launched_on__lte=last).exclude(
        reviews__status=ReviewStatus.LAUNCHED
    )
    owned = Q(owner_department__unit__path__startswith=unit.path)
    if unit.parent_id is None:
        # The register is head-office data: products without an owning department count there.
        owned |= Q(owner_department__isnull=True)
    return products.filter(owned).distinct().count()


@metric(
    "products.hash_mismatches",
    label=_("上线版本与审定版本不一致"),
    unit_label=_("次"),
    description=_("期内登记上线时文件哈希与审定版本不一致而告警的次数"),
    higher_is_better=False,
)
def hash_mismatches(*, unit: Any, first: date, last: date) -> int:
    return (
        LaunchRegistration.objects.filter(review__unit__path__startswith=unit.path, matches=False)
        .filter(_between("registered_at", first, last))
        .count()
    )


@metric(
    "products.sale_checks",
    label=_("适当性校验"),
    unit_label=_("次"),
    description=_("期内的销售前校验与导入核查的销售记录"),
    drill=_checks_drill,
)
def sale_checks(*, unit: Any, first: date, last: date) -> int:
    return checks_in(unit, first, last).count()


@metric(
    "products.sale_checks_blocked",
    label=_("适当性不匹配拦截"),
    unit_label=_("次"),
    description=_("期内校验结果为拦截的次数（风险等级高于客户类别、测评过期、无测评等）"),
    drill=_checks_drill,
)
def sale_checks_blocked(*, unit: Any, first: date, last: date) -> int:
    return checks_in(unit, first, last).filter(result=CheckResult.BLOCKED).count()


@metric(
    "products.elderly_top_grade_sales",
    label=_("高龄客户购买高风险等级产品"),
    unit_label=_("次"),
    description=_("期内65岁及以上客户购买最高风险等级产品且未被拦截的销售"),
    higher_is_better=False,
)
def elderly_top_grade_sales(*, unit: Any, first: date, last: date) -> int:
    return (
        checks_in(unit, first, last)
        .filter(elderly=True, product_grade__in=conf.top_grades())
        .exclude(result=CheckResult.BLOCKED)
        .count()
    )


def _flagged(unit: Any, first: date, last: date, flag: str) -> int:
    return sum(
        1 for flags in checks_in(unit, first, last).values_list("flags", flat=True) if flag in flags
    )


@metric(
    "products.expired_profile_sales",
    label=_("测评过期的销售"),
    unit_label=_("次"),
    higher_is_better=False,
)
def expired_profile_sales(*, unit: Any, first: date, last: date) -> int:
    return _flagged(unit, first, last, Flag.EXPIRED_PROFILE)


@metric(
    "products.retest_anomalies",
    label=_("当日多次重测且结果调高"),
    unit_label=_("次"),
    higher_is_better=False,
)
def retest_anomalies(*, unit: Any, first: date, last: date) -> int:
    return _flagged(unit, first, last, Flag.RETEST_ANOMALY)


@metric(
    "products.sales_without_dual_recording",
    label=_("无双录编号的销售"),
    unit_label=_("次"),
    higher_is_better=False,
)
def sales_without_dual_recording(*, unit: Any, first: date, last: date) -> int:
    return _flagged(unit, first, last, Flag.NO_DUAL_RECORDING)
