from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from xiaobao.organisation.choices import Role
from xiaobao.organisation.roles import user_roles


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = [Role(r).label for r in sorted(user_roles(request.user))]
    return render(request, "front/home.html", {"roles": roles})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
