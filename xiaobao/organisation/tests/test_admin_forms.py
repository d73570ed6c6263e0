"""The admin writes units through the services and shows clear Chinese errors for bad input."""

import re

from django.urls import reverse

from xiaobao.organisation.models import Unit


def _login_admin(client, org, make_user):
    from xiaobao.organisation.choices import Role

    admin = make_user("sysadmin", org.hq, Role.SYSADMIN, is_superuser=True)
    client.force_login(admin)


def _form(unit, **overrides):
    data = {
        "code": unit.code,
        "name": unit.name,
        "short_name": "",
        "kind": unit.kind,
        "parent": unit.parent_id or "",
        "address": "",
        "customer_count": "",
        "is_active": "on",
        "departments-TOTAL_FORMS": "0",
        "departments-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_admin_refuses_cycle(client, org, make_user):
    _login_admin(client, org, make_user)
    url = reverse("admin:organisation_unit_change", args=[org.branch_a.pk])
    response = client.post(url, _form(org.branch_a, parent=org.outlet_a.pk))
    assert response.status_code == 200
    assert "循环" in response.content.decode()
    assert Unit.objects.get(pk=org.branch_a.pk).parent_id == org.hq.pk


def test_admin_refuses_duplicate_code(client, org, make_user):
    _login_admin(client, org, make_user)
    response = client.post(
        reverse("admin:organisation_unit_add"),
        {
            "code": "BR-a",
            "name": "重复",
            "kind": "branch",
            "parent": org.hq.pk,
            "is_active": "on",
            "departments-TOTAL_FORMS": "0",
            "departments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "机构代码已存在" in response.content.decode()


def test_admin_creates_and_moves_through_services(client, org, make_user):
    _login_admin(client, org, make_user)
    response = client.post(
        reverse("admin:organisation_unit_add"),
        {
            "code": "OUT-c",
            "name": "新网点",
            "kind": "outlet",
            "parent": org.sub_a.pk,
            "is_active": "on",
            "departments-TOTAL_FORMS": "0",
            "departments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Unit.objects.get(code="OUT-c")
    assert new.path.startswith(org.sub_a.path) and new.depth == 3
    response = client.post(
        reverse("admin:organisation_unit_change", args=[new.pk]), _form(new, parent=org.sub_b.pk)
    )
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.path.startswith(Unit.objects.get(pk=org.sub_b.pk).path)


def test_admin_user_add_requires_unit(client, org, make_user):
    _login_admin(client, org, make_user)
    response = client.post(
        reverse("admin:organisation_user_add"),
        {
            "username": "nounit",
            "password1": "a-long-pass-phrase-1",
            "password2": "a-long-pass-phrase-1",
        },
    )
    assert response.status_code == 200
    # The wording depends on which app's catalogue wins (Django's 该…, DRF's 这个…).
    assert re.search(r"(该|这个)字段是必填项", response.content.decode())


def test_every_model_has_a_working_admin_page(client, org, make_user):
    from django.contrib import admin

    _login_admin(client, org, make_user)
    for model in admin.site._registry:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        assert "系统管理" in response.content.decode()
