from dataclasses import asdict
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiaobao.complaints.filters import RegistryFilter
from xiaobao.complaints.models import Complainant, Complaint
from xiaobao.language.choices import Target
from xiaobao.language.classifier import FIELD_FOR_TARGET, suggest, trained_targets
from xiaobao.language.duplicates import DuplicateCandidate, find_duplicates
from xiaobao.language.forms import DraftTextForm, DuplicateCheckForm
from xiaobao.language.search import DEFAULT_LIMIT, search_complaints
from xiaobao.lib.errors import DomainError
from xiaobao.privacy.masking import mask, mask_name
from xiaobao.privacy.redaction import redact

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
    results, error = None, ""
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    if query:
        try:
            results = search_complaints(
                user=request.user, query=query, filters=filters, limit=DEFAULT_LIMIT, page=page
            )
        except DomainError as exc:
            error = exc.message
    # The form shows the filter set the search applied; without a search (or with a filter the
    # search refused), one of its own with the submitted values and their errors.
    filterset = results.filterset if results is not None else None
    if filterset is None:
        filterset = RegistryFilter(filters or None, queryset=Complaint.objects.none())
    rows = [(hit, _case_url(hit.complaint.pk)) for hit in results or []]
    params = request.GET.copy()
    params.pop("page", None)
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
            "page_query": params.urlencode(),
        },
    )


# The registration form asks these two while the handler types (htmx posts the unsaved form and
# gets an HTML fragment; anything else gets JSON). POST, because the duplicate check carries ID
# and phone numbers, which must not end up in URLs and access logs. Nothing is stored.


def _errors(form: Any) -> dict[str, Any]:
    messages = [str(m) for field_errors in form.errors.values() for m in field_errors]
    return {
        "error": " ".join(messages),
        "fields": {name: [str(m) for m in errs] for name, errs in form.errors.items()},
    }


def _reply(
    request: HttpRequest, template: str, context: dict[str, Any], data: dict[str, Any], status: int
) -> HttpResponse:
    if getattr(request, "htmx", False):
        return render(request, template, context, status=status)
    return JsonResponse(data, status=status)


@login_required
@permission_required("complaints.add_complaint", raise_exception=True)
@require_POST
def suggest_json(request: HttpRequest) -> HttpResponse:
    """The classifier's top guesses for unsaved text, with confidences and the form's term ids.

    `untrained` names the targets without a usable model, so the form can say so quietly.
    """
    form = DraftTextForm(request.POST)
    template = "language/_suggestions.html"
    if not form.is_valid():
        errors = _errors(form)
        return _reply(request, template, {"error": errors["error"]}, errors, 400)
    text = form.cleaned_data
    suggestions = suggest(text["title"], text["narrative"])
    trained = trained_targets()
    untrained = [t.value for t in Target if t.value not in trained]
    rows = [
        {
            "target": t.value,
            "label": t.label,
            "field": FIELD_FOR_TARGET[t],
            "items": suggestions[t.value],
            "trained": t.value in trained,
        }
        for t in Target
    ]
    context = {
        "has_text": form.has_text,
        "rows": rows,
        "any_suggestion": any(row["items"] for row in rows),
        "untrained_labels": [row["label"] for row in rows if not row["trained"]],
    }
    data: dict[str, Any] = {
        target: [asdict(s) for s in items] for target, items in suggestions.items()
    }
    data["untrained"] = untrained
    return _reply(request, template, context, data, 200)


def _candidate_rows(candidates: list[DuplicateCandidate]) -> list[dict[str, Any]]:
    """What the form may show of each candidate: personal data masked, free text redacted."""
    people: dict[int, list[dict[str, str]]] = {}
    ids = [c.complaint.pk for c in candidates]
    for person in Complainant.objects.filter(complaint_id__in=ids).order_by("complaint", "id"):
        people.setdefault(person.complaint_id, []).append(
            {"name": mask_name(person.name), "phone": mask("phone", person.phone or "")}
        )
    return [
        {
            "id": c.complaint.pk,
            "registry_no": c.complaint.registry_no,
            "title": redact(c.complaint.title),
            "status": c.complaint.get_status_display(),
            "unit": c.complaint.unit.name,
            "received_on": timezone.localdate(c.complaint.received_at).isoformat(),
            "complainants": people.get(c.complaint.pk, []),
            "reasons": c.reason_labels,
            "score": round(c.score, 3),
            "text_similarity": c.text_similarity,
            "facts": c.facts,
            "can_merge": c.can_merge,
            "url": _case_url(c.complaint.pk),
        }
        for c in candidates
    ]


@login_required
@permission_required("complaints.add_complaint", raise_exception=True)
@require_POST
def duplicates_json(request: HttpRequest) -> HttpResponse:
    """Possible duplicates of the case being registered, only among cases the user may see."""
    form = DuplicateCheckForm(request.POST, user=request.user)
    template = "language/_duplicates.html"
    if not form.is_valid():
        errors = _errors(form)
        return _reply(request, template, {"error": errors["error"]}, errors, 400)
    values = form.cleaned_data
    candidates: list[DuplicateCandidate] = []
    if form.has_input:
        candidates = find_duplicates(
            user=request.user,
            title=values["title"],
            narrative=values["narrative"],
            id_number=values["id_number"],
            phone=values["phone"],
            unit=values["unit"],
            amount=values["amount"],
            business_category=values["business_category"],
        )
    rows = _candidate_rows(candidates)
    context = {
        "checked": form.has_input,
        "candidates": rows,
        "can_merge": any(row["can_merge"] for row in rows),
    }
    return _reply(request, template, context, {"candidates": rows}, 200)
