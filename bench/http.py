"""A real server process and a small load generator (threads with keep-alive connections).

The server is gunicorn (installed by the runner into var/bench/tools, pinned, never a project
dependency) with one worker per core, as a deployment would run it; when it cannot be installed
the runner falls back to Django's threaded `runserver` and says so in the report.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import WORK_DIR
from bench.measure import process_tree_cpu, process_tree_memory, summary

GUNICORN = "gunicorn==27.0.1"
TOOLS = WORK_DIR / "tools"


def ensure_gunicorn(python: str = sys.executable) -> Path | None:
    """A gunicorn importable from `TOOLS` (pure Python, installed once with pip --target)."""
    if (TOOLS / "gunicorn" / "__init__.py").exists():
        return TOOLS
    installed = subprocess.run([python, "-c", "import gunicorn"], capture_output=True, check=False)
    if installed.returncode == 0:  # already in the environment: nothing to install
        return TOOLS
    TOOLS.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(TOOLS), GUNICORN],
        capture_output=True,
        text=True,
        check=False,
    )
    return TOOLS if done.returncode == 0 else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One running web server and what it is."""

    proc: subprocess.Popen[bytes]
    port: int
    kind: str
    log: Path

    def memory(self) -> list[dict[str, Any]]:
        return process_tree_memory(self.proc.pid)

    def cpu_seconds(self) -> float:
        """CPU time of the server and its workers so far (not the database's)."""
        return process_tree_cpu(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(
    *,
    python: str,
    wsgi: str,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    workers: int,
    threads: int,
    use_gunicorn: bool,
    manage: Path | None = None,
    extra_path: Sequence[Path] = (),
    preload: bool = False,
    config: str | None = None,
    poll_s: float = 0.3,
) -> Server:
    """Start a server and return once its port accepts a connection (tried every `poll_s`).

    With gunicorn the port opens in the master, before it forks its workers: a connection made
    at once waits in the queue until a worker has started."""
    port = free_port()
    full_env = dict(os.environ)
    full_env.update(env)
    paths = [str(p) for p in extra_path]
    if use_gunicorn:
        cmd = [
            python,
            "-m",
            "gunicorn",
            wsgi,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread" if threads > 1 else "sync",
            "--timeout",
            "300",
            "--log-level",
            "warning",
            *(["--preload"] if preload else []),
            *(["--config", config] if config else []),
        ]
        kind = f"gunicorn {workers} workers × {threads} threads" + (", preload" if preload else "")
    else:
        assert manage is not None
        cmd = [python, str(manage), "runserver", f"127.0.0.1:{port}", "--noreload"]
        kind = "django runserver (threaded, 1 process)"
    if paths:
        full_env["PYTHONPATH"] = os.pathsep.join([*paths, full_env.get("PYTHONPATH", "")])
    handle = open(log, "wb")  # noqa: SIM115 - the server writes here for its whole life
    proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=handle, stderr=subprocess.STDOUT)
    server = Server(proc, port, kind, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited at start; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(poll_s)
    server.stop()
    raise RuntimeError(f"server did not listen within 90 s; see {log}")


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class LoadResult:
    latencies: list[float]
    statuses: dict[int, int]
    wall_s: float
    errors: list[str]

    def report(self) -> dict[str, Any]:
        out = summary(self.latencies, wall_s=self.wall_s)
        out["statuses"] = {str(k): v for k, v in sorted(self.statuses.items())}
        if self.errors:
            out["errors"] = self.errors[:5]
        return out


def run_load(
    port: int,
    requests: Sequence[Request],
    *,
    concurrency: int,
    time_limit_s: float = 600,
    ok: Sequence[int] = (200, 201),
) -> LoadResult:
    """Send `requests` from `concurrency` threads, each on its own keep-alive connection.

    Bounded: every request is sent at most once, and no new one starts after `time_limit_s`.
    Latencies are kept for successful responses only; the rest are counted by status.
    """
    lock = threading.Lock()
    cursor = [0]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    stop_at = time.monotonic() + time_limit_s

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while True:
            with lock:
                i = cursor[0]
                cursor[0] += 1
            if i >= len(requests) or time.monotonic() > stop_at:
                break
            req = requests[i]
            t = time.perf_counter()
            try:
                conn.request(req.method, req.path, body=req.body, headers=req.headers)
                resp = conn.getresponse()
                payload = resp.read()
                elapsed = time.perf_counter() - t
                status = resp.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                with lock:
                    statuses[0] = statuses.get(0, 0) + 1
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status in ok:
                    latencies.append(elapsed)
                elif len(errors) < 20:
                    errors.append(f"{status} {req.path[:80]}: {payload[:300]!r}")
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return LoadResult(latencies, statuses, time.perf_counter() - started, errors)


def probe(port: int, path: str, headers: Mapping[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers=dict(headers))
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()
