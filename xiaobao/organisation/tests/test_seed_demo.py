from io import StringIO

from django.core.management import call_command

from xiaobao.organisation.choices import Role, UnitKind
from xiaobao.organisation.models import ResponsiblePerson, Unit, User
from xiaobao.organisation.roles import user_roles


def test_seed_demo_builds_a_realistic_institution(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    kinds = {kind: Unit.objects.filter(kind=kind).count() for kind in UnitKind.values}
    assert kinds[UnitKind.HEAD_OFFICE] == 1
    assert kinds[UnitKind.BRANCH] == 3
    assert kinds[UnitKind.SUB_BRANCH] == 10
    assert kinds[UnitKind.OUTLET] >= 28
    roles = set().union(*(user_roles(u) for u in User.objects.all()))
    assert roles == set(Role.values)
    assert ResponsiblePerson.objects.count() >= 10
    text = out.getvalue()
    assert "hq_officer" in text and "xiaobao-demo-2026" in text
    # Running it again changes nothing.
    counts = (Unit.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Unit.objects.count(), User.objects.count()) == counts


def test_demo_login_works(client, db):
    call_command("seed_demo", stdout=StringIO())
    assert client.login(username="hz1_handler", password="xiaobao-demo-2026")
    assert "西湖支行" in client.get("/").content.decode()
