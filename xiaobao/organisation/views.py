from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xiaobao.organisation import selectors
from xiaobao.organisation.models import Unit
from xiaobao.organisation.scope import get_visible_or_404, visible_to


@login_required
@permission_required("organisation.view_unit", raise_exception=True)
def unit_list(request: HttpRequest) -> HttpResponse:
    units = selectors.unit_tree(user=request.user)
    base_depth = request.user.unit.depth  # type: ignore[union-attr]
    return render(
        request, "organisation/unit_list.html", {"units": units, "base_depth": base_depth}
    )


@login_required
@permission_required("organisation.view_unit", raise_exception=True)
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_visible_or_404(request.user, Unit.objects.select_related("parent"), code=code)
    context = {
        "unit": unit,
        "children": visible_to(request.user, unit.children.all()).order_by("code"),
        "departments": selectors.department_list(user=request.user, unit=unit),
        "responsible": selectors.responsible_persons(user=request.user, unit=unit),
        "staff": selectors.staff_list(user=request.user, unit=unit)[:200],
        "ancestors": [a for a in unit.ancestors() if request.user.unit.contains(a)],  # type: ignore[union-attr]
    }
    return render(request, "organisation/unit_detail.html", context)


@login_required
@permission_required("organisation.view_user", raise_exception=True)
def staff_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = Paginator(selectors.staff_list(user=request.user, query=query), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "organisation/staff_list.html", {"page": page, "q": query})


@login_required
@permission_required("organisation.view_responsibleperson", raise_exception=True)
def responsible_list(request: HttpRequest) -> HttpResponse:
    current_only = request.GET.get("all") != "1"
    persons = selectors.responsible_persons(user=request.user, current_only=current_only)
    return render(
        request,
        "organisation/responsible_list.html",
        {"persons": persons, "current_only": current_only},
    )
