"""Workbench pages of pre-review and suitability: thin — parse, call one service, render.

A refused action answers 403, an illegal transition 409, invalid input 400 (the page again with
the message); a record outside the user's scope is a 404 like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaobao.audit.selectors import timeline
from xiaobao.lib.errors import DomainError
from xiaobao.lib.web import domain_status, form_error
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import get_visible_or_404, visible_to
from xiaobao.products import selectors, services
from xiaobao.products.choices import (
    OPEN_STATUSES,
    CheckResult,
    ObjectType,
    ReviewStatus,
    SelfCheck,
)
from xiaobao.products.forms import (
    AnswerForm,
    ConcludeForm,
    DecideForm,
    DocumentForm,
    ImportForm,
    LaunchForm,
    OpinionForm,
    ProductForm,
    ReasonForm,
    RegradeForm,
    ReviewForm,
)
from xiaobao.products.models import Opinion, Review


def _units(user: Any) -> Any:
    return visible_to(user, Unit.objects.filter(is_active=True)).order_by("path")


def _approvers(user: Any) -> Any:
    """Who may approve not adopting an opinion: active staff of the answering user's unit."""
    return get_user_model().objects.filter(is_active=True, unit=user.unit).order_by("username")


@login_required
@permission_required("products.view_review", raise_exception=True)
def index(request: HttpRequest) -> HttpResponse:
    reviews = selectors.reviews_for(request.user)
    status = request.GET.get("status", "")
    if status in ReviewStatus.values:
        reviews = reviews.filter(status=status)
    kind = request.GET.get("type", "")
    if kind in ObjectType.values:
        reviews = reviews.filter(object_type=kind)
    return render(
        request,
        "products/index.html",
        {
            "reviews": reviews[:200],
            "statuses": ReviewStatus.choices,
            "types": ObjectType.choices,
            "status": status,
            "type": kind,
            "open_count": selectors.open_reviews(request.user).count(),
            "today": timezone.localdate(),
        },
    )


@login_required
@permission_required("products.add_review", raise_exception=True)
def review_new(request: HttpRequest) -> HttpResponse:
    form = ReviewForm(
        request.POST or None,
        request.FILES or None,
        units=_units(request.user),
        initial={"unit": request.user.unit},  # type: ignore[union-attr]
    )
    if request.method == "POST" and form.is_valid():
        v = form.cleaned_data
        try:
            review = services.review_submit(
                actor=request.user,
                object_type=v["object_type"],
                title=v["title"],
                unit=v["unit"],
                product=v["product"],
                planned_launch=v["planned_launch"],
                summary=v["summary"],
                documents=[v["document"]],
                self_check=form.self_check(),
            )
        except DomainError as exc:
            form_error(form, exc)
            return render(
                request, "products/review_form.html", {"form": form}, status=domain_status(exc)
            )
        messages.success(request, _("已送审。"))
        return redirect("products:review", pk=review.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "products/review_form.html", {"form": form}, status=status)


def _review(request: HttpRequest, pk: int) -> Review:
    return get_visible_or_404(request.user, selectors.reviews_for(request.user), pk=pk)


def _detail(request: HttpRequest, review: Review, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    opinions = list(selectors.opinions_of(review))
    can_review = user.has_perm("products.review_review")
    can_answer = user.has_perm("products.answer_opinion")
    can_decide = user.has_perm("products.decide_escalation")
    answerable = review.status in (
        ReviewStatus.OPINIONS,
        ReviewStatus.ESCALATED,
        ReviewStatus.ANSWERED,
    )
    answer_form = forms.get("answer_form") or AnswerForm(approvers=_approvers(user))
    rows = [
        {
            "opinion": o,
            "can_answer": can_answer and answerable and not o.response,
            "can_decide": can_decide and o.awaits_decision,
            "answer_form": answer_form
            if forms.get("opinion_pk") == o.pk and "answer_form" in forms
            else AnswerForm(approvers=_approvers(user), prefix=f"o{o.pk}"),
            "decide_form": forms.get("decide_form")
            if forms.get("opinion_pk") == o.pk and "decide_form" in forms
            else DecideForm(prefix=f"d{o.pk}"),
        }
        for o in opinions
    ]
    checks = [
        (SelfCheck(k).label, v) for k, v in review.self_check.items() if k in SelfCheck.values
    ]
    context = {
        "review": review,
        "documents": review.documents.order_by("version", "id"),
        "rows": rows,
        "checks": checks,
        "launches": review.launches.order_by("registered_at"),
        "mismatch": review.launches.filter(matches=False).exists()
        and review.status != ReviewStatus.LAUNCHED,
        "post_launch": selectors.post_launch(review, user=user),
        "events": timeline(review),
        "can_opine": can_review
        and review.status in (ReviewStatus.SUBMITTED, ReviewStatus.OPINIONS, ReviewStatus.ANSWERED),
        "can_conclude": can_review
        and review.status in (ReviewStatus.SUBMITTED, ReviewStatus.ANSWERED)
        and not (review.status == ReviewStatus.SUBMITTED and opinions),
        "can_document": user.has_perm("products.add_review") and review.status in OPEN_STATUSES,
        "can_launch": user.has_perm("products.register_launch")
        and review.status == ReviewStatus.CONCLUDED
        and review.conclusion in ("passed", "passed_with_changes"),
        "opinion_form": forms.get("opinion_form") or OpinionForm(),
        "conclude_form": forms.get("conclude_form") or ConcludeForm(),
        "launch_form": forms.get("launch_form") or LaunchForm(),
        "document_form": forms.get("document_form") or DocumentForm(),
    }
    return render(request, "products/review_detail.html", context, status=status)


@login_required
@permission_required("products.view_review", raise_exception=True)
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _review(request, pk))


@login_required
@require_POST
def review_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    review = _review(request, pk)
    user = request.user
    form: Any
    key: str
    call: Callable[[dict[str, Any]], Any]
    extra: dict[str, Any] = {}
    if name == "opinion":
        form, key = OpinionForm(request.POST), "opinion_form"
        call = lambda v: services.opinion_issue(actor=user, review=review, **v)  # noqa: E731
        done = _("审查意见已出具。")
    elif name == "conclude":
        form, key = ConcludeForm(request.POST), "conclude_form"
        call = lambda v: services.review_conclude(actor=user, review=review, **v)  # noqa: E731
        done = _("审查结论已出具。")
    elif name == "document":
        form, key = DocumentForm(request.POST, request.FILES), "document_form"
        call = lambda v: services.review_add_document(  # noqa: E731
            actor=user, review=review, document=v["document"]
        )
        done = _("新版本已上传。")
    elif name == "launch":
        form, key = LaunchForm(request.POST, request.FILES), "launch_form"
        call = lambda v: services.review_register_launch(  # noqa: E731
            actor=user, review=review, launched_on=v["launched_on"], upload=v["file"]
        )
        done = ""
    elif name == "withdraw":
        form, key = ReasonForm(request.POST), "reason_form"
        call = lambda v: services.review_withdraw(actor=user, review=review, **v)  # noqa: E731
        done = _("已撤回。")
    elif name in ("answer", "decide"):
        opinion = get_object_or_404(Opinion, review=review, pk=request.POST.get("opinion"))
        extra["opinion_pk"] = opinion.pk
        if name == "answer":
            form = AnswerForm(request.POST, approvers=_approvers(user), prefix=f"o{opinion.pk}")
            key = "answer_form"
            call = lambda v: services.opinion_answer(actor=user, opinion=opinion, **v)  # noqa: E731
            done = _("答复已记录。")
        else:
            form, key = DecideForm(request.POST, prefix=f"d{opinion.pk}"), "decide_form"
            call = lambda v: services.opinion_decide(actor=user, opinion=opinion, **v)  # noqa: E731
            done = _("决定已记录。")
    else:
        return HttpResponse(status=404)
    if not form.is_valid():
        return _detail(request, review, status=400, **{key: form}, **extra)
    try:
        result: Any = call(dict(form.cleaned_data))
    except DomainError as exc:
        form_error(form, exc)
        messages.error(request, exc.message)
        return _detail(request, review, status=domain_status(exc), **{key: form}, **extra)
    if name == "launch":
        if result.matches:
            messages.success(request, _("上线登记完成，上线版本与审定版本一致。"))
        else:
            messages.error(request, _("上线版本与审定版本不一致，已告警，请核查。"))
    else:
        messages.success(request, done)
    return redirect("products:review", pk=review.pk)


# --- product register -----------------------------------------------------------------------------


@login_required
@permission_required("products.view_product", raise_exception=True)
def products(request: HttpRequest) -> HttpResponse:
    form = ProductForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("products.add_product"):
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                product = services.product_register(actor=request.user, data=form.data_object())
            except DomainError as exc:
                form_error(form, exc)
                status = domain_status(exc)
            else:
                messages.success(request, _("产品已登记。"))
                return redirect("products:product", pk=product.pk)
        else:
            status = 400
    return render(
        request,
        "products/products.html",
        {"products": selectors.products_for(request.user), "form": form},
        status=status,
    )


@login_required
@permission_required("products.view_product", raise_exception=True)
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(selectors.products_for(request.user), pk=pk)
    form = RegradeForm(
        request.POST or None,
        initial={"issuer_grade": product.issuer_grade, "seller_grade": product.seller_grade},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.product_regrade(actor=request.user, product=product, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
                status = domain_status(exc)
            else:
                messages.success(request, _("风险等级已调整。"))
                return redirect("products:product", pk=product.pk)
        else:
            status = 400
    checks = selectors.sale_checks_for(request.user).filter(product=product)
    return render(
        request,
        "products/product_detail.html",
        {
            "product": product,
            "grades": product.grade_changes.select_related("changed_by"),
            "reviews": selectors.reviews_for(request.user).filter(product=product),
            "checks": checks[:50],
            "complaints": visible_to(request.user, product.complaints.select_related("complaint"))[
                :50
            ],
            "readvice": selectors.readvice_for(request.user).filter(product=product)[:50],
            "form": form,
            "can_regrade": request.user.has_perm("products.change_product"),
            "events": timeline(product),
        },
        status=status,
    )


@login_required
@require_POST
def product_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a complaint (by registry number, one the user may see) to the product."""
    from xiaobao.complaints.models import Complaint

    product = get_object_or_404(selectors.products_for(request.user), pk=pk)
    number = (request.POST.get("registry_no") or "").strip()
    complaint = visible_to(request.user, Complaint.objects.filter(registry_no=number)).first()
    if complaint is None:
        messages.error(request, _("台账编号不存在或不在您的管辖范围内。"))
        return redirect("products:product", pk=product.pk)
    try:
        services.product_link_complaint(actor=request.user, product=product, complaint=complaint)
    except DomainError as exc:
        if domain_status(exc) == 403:
            return HttpResponse(exc.message, status=403)
        messages.error(request, exc.message)
        return redirect("products:product", pk=product.pk)
    messages.success(request, _("投诉已关联到该产品。"))
    return redirect("products:product", pk=product.pk)


@login_required
@require_POST
def readvice_sent(request: HttpRequest, pk: int, notice: int) -> HttpResponse:
    """The selling unit records that the holder has been advised again."""
    product = get_object_or_404(selectors.products_for(request.user), pk=pk)
    found = get_visible_or_404(
        request.user, selectors.readvice_for(request.user), pk=notice, product=product
    )
    try:
        services.readvice_mark_sent(actor=request.user, notice=found)
    except DomainError as exc:
        return HttpResponse(exc.message, status=domain_status(exc))
    messages.success(request, _("已记录重新告知。"))
    return redirect("products:product", pk=product.pk)


@login_required
@permission_required("products.view_salecheck", raise_exception=True)
def sale_checks(request: HttpRequest) -> HttpResponse:
    checks = selectors.sale_checks_for(request.user)
    result = request.GET.get("result", "")
    if result in CheckResult.values:
        checks = checks.filter(result=result)
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                imported = services.sales_import(
                    actor=request.user, upload=form.cleaned_data["file"]
                )
            except DomainError as exc:
                form_error(form, exc)
                status = domain_status(exc)
            else:
                flagged = sum(1 for c in imported if c.flags)
                messages.success(
                    request,
                    _("已导入 %(n)s 条销售记录，其中 %(f)s 条有适当性提示。")
                    % {"n": len(imported), "f": flagged},
                )
                return redirect("products:sale_checks")
        else:
            status = 400
    return render(
        request,
        "products/sale_checks.html",
        {
            "checks": checks[:200],
            "results": CheckResult.choices,
            "result": result,
            "form": form,
            "can_import": request.user.has_perm("products.import_sales"),
        },
        status=status,
    )
