import datetime as dt

import pytest
from django.db import IntegrityError

from xiaobao.lib.errors import DomainError
from xiaobao.organisation import services
from xiaobao.organisation.choices import DepartmentFunction, ResponsibilityDuty, Role
from xiaobao.organisation.models import ResponsiblePerson, User
from xiaobao.organisation.roles import user_roles


def test_user_without_unit_refused(org):
    with pytest.raises(DomainError, match="员工必须属于一个机构"):
        services.user_create(
            actor=None, username="orphan", password="a-long-pass-phrase-1", unit=None
        )
    assert not User.objects.filter(username="orphan").exists()


def test_user_without_unit_refused_by_database(org):
    with pytest.raises(IntegrityError):
        User.objects.create(username="orphan2")


def test_department_of_another_unit_refused(org):
    dept = services.department_create(
        actor=None,
        unit=org.branch_b,
        code="XBB",
        name="消保办",
        function=DepartmentFunction.CONSUMER_PROTECTION,
    )
    with pytest.raises(DomainError, match="所选部门不属于"):
        services.user_create(
            actor=None,
            username="x",
            password="a-long-pass-phrase-1",
            unit=org.branch_a,
            department=dept,
        )


def test_weak_password_refused_in_chinese(org):
    with pytest.raises(DomainError) as exc:
        services.user_create(actor=None, username="weak", password="12345", unit=org.hq)
    assert exc.value.field == "password"
    assert "密码" in exc.value.message
    assert not User.objects.filter(username="weak").exists()


def test_roles_are_groups(people):
    assert user_roles(people.handler_a) == {Role.HANDLER}
    services.user_set_roles(actor=None, user=people.handler_a, roles=[Role.HANDLER, Role.UNIT_HEAD])
    assert user_roles(people.handler_a) == {Role.HANDLER, Role.UNIT_HEAD}


def test_responsible_person_register_closes_previous_term(org, people):
    first = services.responsible_person_register(
        actor=None,
        unit=org.branch_a,
        duty=ResponsibilityDuty.COMPLAINT_LEAD,
        name="张伟",
        start_date=dt.date(2025, 1, 1),
        user=people.head_a,
    )
    services.responsible_person_register(
        actor=None,
        unit=org.branch_a,
        duty=ResponsibilityDuty.COMPLAINT_LEAD,
        name="李娜",
        start_date=dt.date(2026, 3, 1),
    )
    first.refresh_from_db()
    assert first.end_date == dt.date(2026, 2, 28)
    assert (
        ResponsiblePerson.objects.filter(unit=org.branch_a, end_date__isnull=True).get().name
        == "李娜"
    )


def test_responsible_person_from_other_branch_refused(org, people):
    with pytest.raises(DomainError, match="本机构或下级机构"):
        services.responsible_person_register(
            actor=None,
            unit=org.branch_a,
            duty=ResponsibilityDuty.CP_LEAD,
            name="外行",
            start_date=dt.date(2025, 1, 1),
            user=people.handler_b,
        )


def test_responsible_person_dates_checked_by_database(org):
    with pytest.raises(IntegrityError):
        ResponsiblePerson.objects.create(
            unit=org.hq,
            duty=ResponsibilityDuty.CP_LEAD,
            name="倒序",
            start_date=dt.date(2025, 5, 1),
            end_date=dt.date(2025, 4, 1),
        )


def test_role_groups_do_not_depend_on_the_active_language(org):
    from django.utils import translation

    from xiaobao.organisation import services
    from xiaobao.organisation.choices import Role
    from xiaobao.organisation.roles import user_roles

    with translation.override("en"):
        user = services.user_create(
            actor=None,
            username="english_admin_made",
            password="x-Long-enough-9",
            unit=org.hq,
            roles=[Role.HANDLER],
        )
    assert [g.name for g in user.groups.all()] == ["投诉处理人员"]
    assert user_roles(user) == {Role.HANDLER}
    assert user.has_perm("complaints.handle_complaint")
