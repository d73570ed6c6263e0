"""`dev.py run`'s supervisor: the processes start together and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
sys.path.insert(0, str(ROOT))
import dev  # noqa: E402  - the repository's front-door script


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait(condition, seconds: float = 60) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _env() -> dict[str, str]:
    """`dev.py run`'s environment: the embedded SQLite default, whatever the test run uses."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "xiaobao.settings"}


def test_when_one_process_stops_the_others_are_stopped():
    port = _free_port()
    status = dev.serve(
        {
            "web": ["runserver", f"127.0.0.1:{port}", "--noreload"],
            "one-off": ["check", "--fail-level", "ERROR"],
        },
        env=_env(),
        banner="test",
    )
    assert status == 0
    assert not _listening(port)


def test_ctrl_c_stops_every_process(tmp_path):
    port = _free_port()
    script = (
        "import dev, os\n"
        "dev.serve({'web': ['runserver', '127.0.0.1:%d', '--noreload'],"
        " 'web2': ['runserver', '127.0.0.1:%d', '--noreload']},"
        " env={**os.environ, 'DEBUG': '1'}, banner='started')\n"
    )
    other = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", script % (port, other)],
        cwd=ROOT,
        env=_env(),
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        assert _wait(lambda: _listening(port) and _listening(other)), "servers did not start"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's group
        assert proc.wait(timeout=30) == 0
        assert _wait(lambda: not _listening(port) and not _listening(other), 10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_tests_run_one_worker_per_core_unless_the_caller_chose():
    assert dev.parallel([]) == ["-n", "auto"]
    assert dev.parallel(["-k", "deadline"]) == ["-n", "auto", "-k", "deadline"]
    for chosen in (["-n", "1"], ["-n1"], ["--numprocesses=3"], ["-p", "no:xdist"]):
        assert dev.parallel(chosen) == chosen
