"""Branch scope through every entry point that exists: selectors, pages and the admin."""

import datetime as dt

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.urls import reverse

from xiaobao.audit.models import AuditEvent
from xiaobao.organisation import services
from xiaobao.organisation.choices import DepartmentFunction, ResponsibilityDuty, Role
from xiaobao.organisation.models import Department, ResponsiblePerson, Unit, User
from xiaobao.organisation.scope import get_visible_or_404, unit_in_scope, visible_to


@pytest.fixture
def objects(org, people):
    """One object of each kind in branch B."""
    dept = services.department_create(
        actor=None,
        unit=org.branch_b,
        code="XBB",
        name="消保办",
        function=DepartmentFunction.CONSUMER_PROTECTION,
    )
    person = services.responsible_person_register(
        actor=None,
        unit=org.branch_b,
        duty=ResponsibilityDuty.CP_LEAD,
        name="王芳",
        start_date=dt.date(2025, 1, 1),
    )
    return {
        Unit: org.sub_b,
        Department: dept,
        ResponsiblePerson: person,
        User: people.handler_b,
        AuditEvent: AuditEvent.objects.filter(unit=org.branch_b).first(),
    }


MODELS = [Unit, Department, ResponsiblePerson, User, AuditEvent]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_selector_scope(model, objects, people):
    obj = objects[model]
    assert visible_to(people.hq_officer, model.objects.all()).filter(pk=obj.pk).exists()
    assert visible_to(people.officer_b, model.objects.all()).filter(pk=obj.pk).exists()
    assert not visible_to(people.officer_a, model.objects.all()).filter(pk=obj.pk).exists()
    assert not visible_to(people.handler_a, model.objects.all()).filter(pk=obj.pk).exists()
    with pytest.raises(Exception) as exc:
        get_visible_or_404(people.officer_a, model.objects.all(), pk=obj.pk)
    assert exc.type.__name__ == "Http404"


def test_every_xiaobao_model_declares_its_scope():
    for model in apps.get_models():
        if model.__module__.startswith("xiaobao."):
            assert hasattr(model, "scope_unit_field"), f"{model.__name__} has no scope_unit_field"


def test_anonymous_and_inactive_see_nothing(org, people):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_to(AnonymousUser(), Unit.objects.all()).exists()
    people.handler_a.is_active = False
    assert not visible_to(people.handler_a, Unit.objects.all()).exists()


def test_sub_branch_sees_only_its_subtree(org, people):
    codes = set(visible_to(people.handler_a, Unit.objects.all()).values_list("code", flat=True))
    assert codes == {"SUB-a", "OUT-a"}
    assert unit_in_scope(people.handler_a, org.outlet_a)
    assert not unit_in_scope(people.handler_a, org.branch_a)


def test_head_office_sees_everything(org, people):
    assert visible_to(people.hq_officer, Unit.objects.all()).count() == Unit.objects.count()


# --- web pages -------------------------------------------------------------------------------------


def test_unit_page_of_other_branch_is_404(client, org, people):
    client.force_login(people.officer_a)
    assert client.get(reverse("front:unit_detail", args=["SUB-a"])).status_code == 200
    assert client.get(reverse("front:unit_detail", args=["SUB-b"])).status_code == 404
    assert client.get(reverse("front:unit_detail", args=["HQ"])).status_code == 404


def test_lists_show_only_scope(client, objects, people):
    client.force_login(people.officer_a)
    units = client.get(reverse("front:unit_list")).content.decode()
    assert "A支行" in units and "B支行" not in units
    staff = client.get(reverse("front:staff_list")).content.decode()
    assert "handler_a" in staff and "handler_b" not in staff
    responsible = client.get(reverse("front:responsible_list")).content.decode()
    assert "王芳" not in responsible
    client.force_login(people.officer_b)
    assert "王芳" in client.get(reverse("front:responsible_list")).content.decode()


def test_pages_need_login(client, org):
    response = client.get(reverse("front:unit_list"))
    assert response.status_code == 302 and reverse("front:login") in response["Location"]


# --- admin -----------------------------------------------------------------------------------------


def _admin_urls(model, obj):
    opts = model._meta
    return (
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
    )


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_admin_scope(client, model, objects, org, make_user):
    obj = objects[model]
    changelist, change = _admin_urls(model, obj)
    client.force_login(make_user("admin_a", org.branch_a, Role.SYSADMIN))
    listing = client.get(changelist)
    assert listing.status_code == 200
    assert obj.pk not in [o.pk for o in listing.context["cl"].result_list]
    response = client.get(change)
    # Django's admin answers an out-of-scope pk with a redirect to the index and a "does not exist" message.
    assert response.status_code in (302, 404)


def test_admin_shows_own_scope(client, objects, org, make_user):
    client.force_login(make_user("admin_b", org.branch_b, Role.SYSADMIN))
    _, change = _admin_urls(Unit, org.sub_b)
    assert client.get(change).status_code == 200


# --- the auditor reads everything and changes nothing ------------------------------------------------


def test_auditor_has_only_view_permissions(people):
    perms = Permission.objects.filter(group__user=people.auditor)
    assert perms.exists()
    assert all(p.codename.startswith("view_") for p in perms)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_auditor_cannot_change_through_admin(client, model, objects, people):
    obj = objects[model]
    changelist, change = _admin_urls(model, obj)
    client.force_login(people.auditor)
    assert client.get(changelist).status_code == 200
    page = client.get(change)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    before = model.objects.filter(pk=obj.pk).values().get()
    response = client.post(change, {"name": "审计改名"})
    assert response.status_code == 403
    assert model.objects.filter(pk=obj.pk).values().get() == before
    opts = model._meta
    add_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    assert client.post(add_url, {}).status_code == 403
    delete_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_audit_events_are_append_only(objects):
    from xiaobao.audit.models import AppendOnlyError

    event = AuditEvent.objects.first()
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(summary="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
