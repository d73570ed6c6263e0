from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from xiaobao.organisation.choices import Role
from xiaobao.organisation.roles import user_roles


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.has_perm("complaints.view_complaint"):
        # Complaint staff land on their work list, which extends this page.
        from xiaobao.complaints.views import my_work

        return my_work(request)
    if request.user.has_perm("plans.report_task"):
        # Business departments land on the tasks they owe (rectifications included).
        from xiaobao.plans.views import my_tasks

        return my_tasks(request)
    roles = [Role(r).label for r in sorted(user_roles(request.user))]
    return render(request, "front/home.html", {"roles": roles})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
