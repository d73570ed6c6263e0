#!/usr/bin/env python3
"""Xiaobao's two front-door commands; needs nothing but Python 3.11+.

    python3 dev.py run    install into .venv, migrate, load demo data, serve http://127.0.0.1:8000/
                          with the deadline sweeper (and periodic jobs) and the job worker beside it
    python3 dev.py test   install into .venv and run lint, types, migration check and all tests,
                          on SQLite and (when reachable at 127.0.0.1:5432) on PostgreSQL

Environment for `test`: XIAOBAO_REQUIRE_POSTGRES=1 fails instead of skipping PostgreSQL;
XIAOBAO_REQUIRE_BROWSER=1 fails instead of skipping the browser tests (CI sets both);
TEST_DATABASE_URL overrides postgres://postgres@127.0.0.1:5432/xiaobao.
The tests run in one pytest-xdist worker per core (`-n auto`) unless the arguments say otherwise
(`-n 1`, `-p no:xdist`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/xiaobao")
CHROMIUM = "/usr/bin/chromium"


def say(msg: str) -> None:
    print(f"\033[1;34m==>\033[0m {msg}", flush=True)


def loud(msg: str) -> None:
    bar = "!" * 78
    print(f"\n\033[1;33m{bar}\n{msg}\n{bar}\033[0m\n", flush=True)


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(c) for c in cmd], cwd=ROOT, check=True, env=env)


def ensure_venv(extra: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must explain itself on old Pythons
        sys.exit("Xiaobao needs Python 3.11 or newer.")
    if not PY.exists():
        say("creating .venv")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        except subprocess.CalledProcessError:
            shutil.rmtree(VENV, ignore_errors=True)
            if os.geteuid() == 0 and shutil.which("apt-get"):
                say("installing python3-venv from Debian's packages")
                subprocess.run(["apt-get", "update", "-qq"], check=True)
                version = f"python{sys.version_info.major}.{sys.version_info.minor}-venv"
                subprocess.run(
                    ["apt-get", "install", "-y", "-qq", "python3-venv", version], check=False
                )
                subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
            else:
                sys.exit("Python's venv module is missing: install python3-venv, then run again.")
    stamp = VENV / f".installed-{extra or 'base'}"
    project = (ROOT / "pyproject.toml").stat().st_mtime
    if not stamp.exists() or stamp.stat().st_mtime < project:
        say("installing dependencies into .venv (pinned in pyproject.toml)")
        run(PY, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade", "pip")
        target = f".[{extra}]" if extra else "."
        run(PY, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", target)
        stamp.touch()
    run(PY, "manage.py", "compile_translations")


def manage(*args: str, env: dict[str, str] | None = None) -> None:
    run(PY, "manage.py", *args, env=env)


def cmd_run() -> None:
    ensure_venv("")
    env = {**os.environ, "DEBUG": "1"}
    say("migrating the embedded SQLite database (var/xiaobao.sqlite3)")
    manage("migrate", "--no-input", "-v", "0", env=env)
    say("loading demo data (and training the demo classifier)")
    manage("seed_demo", env=env)
    say("indexing the demo cases for full-text search")
    manage("reindex_search", "--stale", env=env)
    port = os.environ.get("PORT", "8000")
    serve(
        {
            "web": ["runserver", f"127.0.0.1:{port}", "--noreload"],
            "sweeper": ["sweep_deadlines", "--loop", "--interval", "30", "--no-jobs"],
            "worker": ["run_jobs", "--loop", "--interval", "2"],
        },
        env=env,
        banner=f"Xiaobao is running at http://127.0.0.1:{port}/  "
        "(web, deadline sweeper with the periodic jobs, job worker; Ctrl-C stops all three)",
    )


def serve(commands: dict[str, list[str]], *, env: dict[str, str], banner: str) -> int:
    """Run several `manage.py` commands side by side until Ctrl-C (or SIGTERM), or until one of
    them stops; then stop the others and wait for them. Returns the first exit status."""
    procs: dict[str, subprocess.Popen[bytes]] = {}

    def stop_all() -> None:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for name, proc in procs.items():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in 10 s: killing it")
                proc.kill()
                proc.wait()

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    status = 0
    try:
        for name, args in commands.items():
            procs[name] = subprocess.Popen([str(PY), "manage.py", *args], cwd=ROOT, env=env)
        say(banner)
        while True:
            ended = [(n, p.returncode) for n, p in procs.items() if p.poll() is not None]
            if ended:
                name, status = ended[0]
                say(f"{name} stopped (exit status {status}): stopping the others")
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("stopping web, sweeper and worker")
    finally:
        stop_all()
        signal.signal(signal.SIGTERM, previous)
    return status


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


CJK_FONTS = Path("/usr/share/fonts/opentype/noto")  # Debian's fonts-noto-cjk (PDF reports)


def ensure_chromium() -> bool:
    if Path(CHROMIUM).exists() and CJK_FONTS.exists():
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's chromium and CJK fonts for the browser and PDF tests")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            [
                "apt-get",
                "install",
                "-y",
                "-qq",
                "--no-install-recommends",
                "chromium",
                "fonts-noto-cjk",
            ],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    return Path(CHROMIUM).exists()


def parallel(pytest_args: list[str]) -> list[str]:
    """One xdist worker per core unless the caller chose: the suite is about 2,000 tests, half of
    them on a database, and takes twice as long in one process."""
    chosen = any(
        a in ("-n", "--numprocesses", "no:xdist") or a.startswith(("-n", "--numprocesses="))
        for a in pytest_args
    )
    return pytest_args if chosen else ["-n", "auto", *pytest_args]


def cmd_test(pytest_args: list[str]) -> None:
    ensure_venv("dev")
    pytest_args = parallel(pytest_args)
    require_pg = os.environ.get("XIAOBAO_REQUIRE_POSTGRES") == "1"
    require_browser = os.environ.get("XIAOBAO_REQUIRE_BROWSER") == "1"
    base_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}

    say("lint: ruff check + ruff format --check")
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    say("types: mypy on the domain code")
    run(BIN / "mypy", "xiaobao")
    say("migrations match the models")
    manage("makemigrations", "--check", "--dry-run", env=base_env)
    say("deployment checks with production settings")
    deploy_env = {
        **base_env,
        "DEBUG": "0",
        "SECRET_KEY": "ci-" + "x" * 60 + "-deploy-check-only",
        "XIAOBAO_ALLOW_INSECURE_KEY": "0",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "ALLOWED_HOSTS": "xiaobao.example.com",
        "XIAOBAO_PI_KEYS": "k1:" + "A" * 43,
        "XIAOBAO_PI_HMAC_KEY": "B" * 43,
    }
    manage("check", "--deploy", "--fail-level", "WARNING", env=deploy_env)

    browser = ensure_chromium()
    if not browser:
        if require_browser:
            sys.exit(
                f"{CHROMIUM} is missing and XIAOBAO_REQUIRE_BROWSER=1: cannot skip browser tests"
            )
        loud(
            "BROWSER TESTS SKIPPED: Debian's chromium is not installed and could not be installed."
        )
    test_env = {**base_env, "XIAOBAO_BROWSER": "1" if browser else "0"}

    say("tests on SQLite")
    run(PY, "-m", "pytest", *pytest_args, env=test_env)

    if postgres_reachable():
        say(f"tests on PostgreSQL ({PG_URL})")
        run(PY, "-m", "pytest", *pytest_args, env={**test_env, "DATABASE_URL": PG_URL})
    elif require_pg:
        sys.exit("PostgreSQL is not reachable at 127.0.0.1:5432 and XIAOBAO_REQUIRE_POSTGRES=1")
    else:
        loud("POSTGRESQL TESTS SKIPPED: nothing listens on 127.0.0.1:5432.")
    say("all checks passed")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        sys.exit(__doc__)
    if sys.argv[1] == "run":
        cmd_run()
    else:
        cmd_test(sys.argv[2:])


if __name__ == "__main__":
    main()
