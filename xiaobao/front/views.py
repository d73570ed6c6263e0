from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from xiaobao.front.home import panels_for
from xiaobao.organisation.choices import Role
from xiaobao.organisation.roles import user_roles


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The role home: what this person must act on now, most urgent first (see `home.py`)."""
    busy, idle = panels_for(request.user)
    roles = [Role(r).label for r in sorted(user_roles(request.user))]
    return render(request, "front/home.html", {"roles": roles, "panels": busy, "idle": idle})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
