"""Point Django at a benchmark database (SQLite file or PostgreSQL) before it starts."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import WORK_DIR

DEFAULT_SQLITE = f"sqlite:///{WORK_DIR / 'xiaobao-bench.sqlite3'}"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/xiaobao_bench"


def vendor_of(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme.startswith("sqlite"):
        return "sqlite"
    if scheme in ("postgres", "postgresql", "pgsql"):
        return "postgresql"
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgres://…")


def sqlite_path(url: str) -> Path:
    path = url.split(":///", 1)[1] if ":///" in url else url.split("://", 1)[1]
    return Path(path if path.startswith("/") else Path.cwd() / path).resolve()


def server_env(url: str) -> dict[str, str]:
    """Environment variables that make xiaobao.settings use `url` (and its own SQLite options)."""
    env = {"DJANGO_SETTINGS_MODULE": "xiaobao.settings", "XIAOBAO_ALLOW_INSECURE_KEY": "1"}
    if vendor_of(url) == "sqlite":
        # The product's own SQLite settings (WAL, IMMEDIATE transactions) apply only without
        # DATABASE_URL, so a SQLite URL becomes SQLITE_PATH.
        env["SQLITE_PATH"] = str(sqlite_path(url))
        env["DATABASE_URL"] = ""
    else:
        env["DATABASE_URL"] = url
    return env


def setup_django(url: str) -> str:
    """Configure the environment for `url`, start Django and return the vendor."""
    for key, value in server_env(url).items():
        if value:
            os.environ[key] = value
        else:
            os.environ.pop(key, None)
    import django

    django.setup()
    return vendor_of(url)


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise ValueError(f"{url!r} names no database")
    return urlunsplit(parts._replace(path="/postgres")), name


def postgres_recreate(url: str, *, drop_only: bool = False) -> None:
    """Drop the benchmark database if it exists and (unless `drop_only`) create it empty."""
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def postgres_ensure(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def sqlite_remove(url: str) -> None:
    path = sqlite_path(url)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def fresh_database(url: str) -> None:
    """An empty database at `url` (the runner's and `generate --fresh`'s starting point)."""
    if vendor_of(url) == "sqlite":
        sqlite_remove(url)
        sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    else:
        postgres_recreate(url)


def ensure_database(url: str) -> None:
    if vendor_of(url) == "sqlite":
        sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    else:
        postgres_ensure(url)
