"""The peer: django-helpdesk from PyPI in its own virtual environment, with a project skeleton
written at run time under var/bench/peer/ (never committed), loaded with the same number of
tickets by bulk inserts, and served like ours.

Its tickets carry the same narratives (this package's `narratives` module, imported from the
repository by the peer's own interpreter). Operations compared with ours: create through its REST
API, the queue list filtered (its datatables endpoint, first page), and text search (its search
string, which filters with icontains).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from bench import REPO_ROOT, SHARED_DATA, WORK_DIR

PINS = ("django-helpdesk==2.6.1", "Django==5.2.19", "psycopg[binary]==3.3.9", "gunicorn==27.0.1")
PEER_DIR = WORK_DIR / "peer"
VENV = PEER_DIR / "venv"
PROJECT = PEER_DIR / "project"

SETTINGS = '''
"""Settings of the benchmark's django-helpdesk project (written by bench/peer.py)."""
import os
from urllib.parse import urlsplit

SECRET_KEY = "peer-benchmark-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "rest_framework.authtoken", "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peerbench_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
_url = os.environ["PEER_DATABASE_URL"]
if _url.startswith("sqlite"):
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _url.split(":///", 1)[1],
        # The same SQLite settings as Xiaobao's, so the comparison is like for like.
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                    "transaction_mode": "IMMEDIATE", "timeout": 20},
    }}
else:
    _p = urlsplit(_url)
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql", "NAME": _p.path.lstrip("/"),
        "USER": _p.username or "", "PASSWORD": _p.password or "",
        "HOST": _p.hostname or "", "PORT": str(_p.port or ""), "CONN_MAX_AGE": 60,
    }}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_CODE = "zh-hans"
STATIC_URL = "static/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGIN_URL = "helpdesk:login"
HELPDESK_TEAMS_MODE_ENABLED = False
# HELPDESK_KB_ENABLED stays on: 2.6.1 fails to import its urls with it off.
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [
    "rest_framework.authentication.TokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]}
'''

URLS = """
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
]
"""

WSGI = """
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerbench_settings")
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
"""

TOOL = '''
"""Load tickets in bulk and prepare credentials for the benchmark (written by bench/peer.py)."""
import json, os, random, sys, time, resource
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.environ["BENCH_REPO"])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerbench_settings")
import django
django.setup()
from django.core.management import call_command
from django.contrib.auth import get_user_model
from helpdesk.models import FollowUp, Queue, Ticket
from bench.narratives import Composer, Corpus
from pathlib import Path

QUEUES = ["西湖支行", "滨江支行", "萧山支行", "余杭支行", "鼓楼支行", "建邺支行", "江宁支行",
          "锦江支行", "高新支行", "武侯支行", "总行营业部", "信用卡中心", "客服中心"]


def load(cases, seed, years, batch=5000):
    call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="bench_admin", defaults={"is_staff": True,
        "is_superuser": True, "email": "bench_admin@example.com"})
    staff = [User.objects.get_or_create(username=f"agent{i}", defaults={"is_staff": True,
        "email": f"agent{i}@example.com"})[0] for i in range(10)]
    queues = []
    for i, title in enumerate(QUEUES):
        q, _ = Queue.objects.get_or_create(slug=f"q{i}", defaults={"title": title})
        queues.append(q)
    rng = random.Random(seed)
    composer = Composer(Corpus.load(Path(os.environ["BENCH_SHARED_DATA"])))
    end = datetime.now(timezone.utc)
    span = years * 365 * 86400
    started = time.perf_counter()
    tickets = followups = 0
    # created in time order, like ours
    offsets = sorted(rng.random() for _ in range(cases))
    buf_t = []
    next_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    for k, frac in enumerate(offsets):
        created = end - timedelta(seconds=span * (1 - frac))
        story = composer.compose(rng, received=created.date(), outlet=rng.choice(QUEUES))
        age = (end - created).days
        roll = rng.random()
        if age < 15 and roll < 0.5:
            status = Ticket.OPEN_STATUS
        elif roll < 0.05:
            status = Ticket.DUPLICATE_STATUS
        elif roll < 0.06:
            status = Ticket.REOPENED_STATUS
        else:
            status = Ticket.CLOSED_STATUS
        t = Ticket(id=next_id + k, title=story.title, queue=rng.choice(queues), created=created,
            modified=created, submitter_email=f"c{k}@example.com",
            assigned_to=rng.choice(staff) if status != Ticket.OPEN_STATUS or roll < 0.3 else None,
            status=status, description=story.body,
            resolution="经核查已处理完毕。" if status == Ticket.CLOSED_STATUS else "",
            priority=rng.choice((1, 2, 3, 3, 3, 4, 5)), due_date=created + timedelta(days=15))
        buf_t.append(t)
        if len(buf_t) >= batch:
            tickets += _flush(buf_t, admin)
            followups += _fu
            buf_t = []
    if buf_t:
        tickets += _flush(buf_t, admin)
        followups += _fu
    wall = time.perf_counter() - started
    from django.db import connection
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            from django.core.management.color import no_style
            for sql in connection.ops.sequence_reset_sql(no_style(), [Ticket, FollowUp]):
                cur.execute(sql)
        cur.execute("ANALYZE")
    return {"tickets": tickets, "followups": followups, "wall_s": wall,
            "rows_per_s": (tickets + followups) / wall, "tickets_per_s": tickets / wall}


_fu = 0


def _flush(tickets, admin):
    global _fu
    from django.db import transaction
    with transaction.atomic():
        Ticket.objects.bulk_create(tickets)
        fus = []
        for t in tickets:
            fus.append(FollowUp(ticket_id=t.id, date=t.created, title="Ticket Opened",
                                comment=t.description[:200], public=True, user=None,
                                new_status=Ticket.OPEN_STATUS))
            if t.status == Ticket.CLOSED_STATUS:
                fus.append(FollowUp(ticket_id=t.id, date=t.created + timedelta(days=5),
                                    title="Ticket Closed", comment=t.resolution, public=True,
                                    user=admin, new_status=Ticket.CLOSED_STATUS))
        FollowUp.objects.bulk_create(fus)
    _fu = len(fus)
    return len(tickets)


def prepare():
    from importlib import import_module
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from rest_framework.authtoken.models import Token
    User = get_user_model()
    admin = User.objects.get(username="bench_admin")
    token, _ = Token.objects.get_or_create(user=admin)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(admin.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = admin.get_session_auth_hash()
    store.create()
    return {"token": token.key, "session": store.session_key,
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "queues": list(Queue.objects.order_by("id").values_list("id", flat=True))}


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "load":
        out = load(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    else:
        out = prepare()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out))
'''


class PeerUnavailableError(RuntimeError):
    """The peer could not be installed or set up; the message says why."""


def _run(cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 1800) -> str:
    import os

    full = dict(os.environ)
    full.update(env or {})
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=full, timeout=timeout, check=False, cwd=PROJECT
    )
    if done.returncode != 0:
        raise PeerUnavailableError(
            f"{' '.join(cmd[:4])} … failed ({done.returncode}): {(done.stderr or done.stdout)[-1500:]}"
        )
    return done.stdout


def ensure_venv() -> Path:
    """The peer's interpreter, installing the pinned packages the first time."""
    python = VENV / "bin" / "python"
    marker = VENV / "bench-pins.txt"
    PROJECT.mkdir(parents=True, exist_ok=True)
    if python.exists() and marker.exists() and marker.read_text() == "\n".join(PINS):
        return python
    if VENV.exists():
        shutil.rmtree(VENV)
    base = getattr(sys, "_base_executable", sys.executable)
    _run([base, "-m", "venv", str(VENV)], timeout=300)
    _run([str(python), "-m", "pip", "install", "--quiet", *PINS], timeout=1200)
    marker.write_text("\n".join(PINS))
    return python


def write_project() -> None:
    PROJECT.mkdir(parents=True, exist_ok=True)
    (PROJECT / "peerbench_settings.py").write_text(textwrap.dedent(SETTINGS))
    (PROJECT / "peerbench_urls.py").write_text(textwrap.dedent(URLS))
    (PROJECT / "peerbench_tool.py").write_text(textwrap.dedent(TOOL))
    (PROJECT / "peerbench_wsgi.py").write_text(textwrap.dedent(WSGI))


def peer_env(url: str) -> dict[str, str]:
    return {
        "PEER_DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "peerbench_settings",
        "BENCH_REPO": str(REPO_ROOT),
        "BENCH_SHARED_DATA": str(SHARED_DATA),
        "PYTHONPATH": str(PROJECT),
    }


def _result(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    raise PeerUnavailableError(f"no result from the peer tool: {stdout[-500:]}")


def load(python: Path, url: str, cases: int, seed: int, years: float) -> dict[str, Any]:
    out = _run(
        [str(python), "peerbench_tool.py", "load", str(cases), str(seed), str(years)],
        env=peer_env(url),
        timeout=6 * 3600,
    )
    return _result(out)


def prepare(python: Path, url: str) -> dict[str, Any]:
    return _result(_run([str(python), "peerbench_tool.py", "prepare"], env=peer_env(url)))


def versions(python: Path) -> dict[str, str]:
    out = _run([str(python), "-m", "pip", "freeze"], timeout=120)
    wanted = ("django-helpdesk", "django", "djangorestframework", "psycopg", "gunicorn")
    found = {}
    for line in out.splitlines():
        name, _, version = line.partition("==")
        if name.lower() in wanted:
            found[name.lower()] = version
    return found
