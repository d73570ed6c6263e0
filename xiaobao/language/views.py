from dataclasses import asdict

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from xiaobao.complaints.filters import RegistryFilter
from xiaobao.complaints.models import Complaint
from xiaobao.language.classifier import suggest
from xiaobao.language.duplicates import find_duplicates
from xiaobao.language.search import DEFAULT_LIMIT, search_complaints
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import visible_to

# The search words travel as `q`; the registry filter set has a `q` of its own (number/title).
_NOT_FILTERS = ("q", "page")


def _case_url(pk: int) -> str | None:
    try:
        return reverse("complaints:detail", args=[pk])
    except NoReverseMatch:
        return None


@login_required
@permission_required("complaints.view_complaint", raise_exception=True)
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    filters = request.GET.copy()
    for name in _NOT_FILTERS:
        filters.pop(name, None)
    filterset = RegistryFilter(filters or None, queryset=Complaint.objects.none())
    results, error = None, ""
    if query:
        try:
            results = search_complaints(
                user=request.user, query=query, filters=filters, limit=DEFAULT_LIMIT
            )
        except DomainError as exc:
            error = exc.message
    rows = [(hit, _case_url(hit.complaint.pk)) for hit in results or []]
    return render(
        request,
        "language/search.html",
        {
            "q": query,
            "filter": filterset,
            "results": results,
            "rows": rows,
            "error": error,
            "limit": DEFAULT_LIMIT,
        },
    )


# The registration form asks these two while the handler types. POST, because the duplicate
# check carries ID and phone numbers, which must not end up in URLs and access logs.


@login_required
@permission_required("complaints.add_complaint", raise_exception=True)
@require_POST
def suggest_json(request: HttpRequest) -> JsonResponse:
    suggestions = suggest(request.POST.get("title", ""), request.POST.get("narrative", ""))
    return JsonResponse(
        {target: [asdict(s) for s in items] for target, items in suggestions.items()}
    )


@login_required
@permission_required("complaints.add_complaint", raise_exception=True)
@require_POST
def duplicates_json(request: HttpRequest) -> JsonResponse:
    unit = None
    if request.POST.get("unit"):
        unit = (
            visible_to(request.user, Unit.objects.all()).filter(code=request.POST["unit"]).first()
        )
    candidates = find_duplicates(
        user=request.user,
        title=request.POST.get("title", ""),
        narrative=request.POST.get("narrative", ""),
        id_number=request.POST.get("id_number", ""),
        phone=request.POST.get("phone", ""),
        unit=unit,
    )
    return JsonResponse(
        {
            "candidates": [
                {
                    "id": c.complaint.pk,
                    "registry_no": c.complaint.registry_no,
                    "title": c.complaint.title,
                    "status": c.complaint.get_status_display(),
                    "reasons": c.reason_labels,
                    "score": round(c.score, 3),
                    "can_merge": c.can_merge,
                    "url": _case_url(c.complaint.pk),
                }
                for c in candidates
            ]
        }
    )
