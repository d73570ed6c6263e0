"""Timing statistics, process memory from /proc, and a description of the machine."""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); with fewer than 100 samples p99 is the maximum."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def summary(latencies_s: Sequence[float], *, wall_s: float | None = None) -> dict[str, Any]:
    """Median, p99 and throughput of a list of latencies in seconds (reported in ms)."""
    n = len(latencies_s)
    out: dict[str, Any] = {"n": n}
    if not n:
        return out
    out["median_ms"] = statistics.median(latencies_s) * 1000
    out["p99_ms"] = percentile(latencies_s, 99) * 1000
    out["max_ms"] = max(latencies_s) * 1000
    wall = wall_s if wall_s is not None else sum(latencies_s)
    out["wall_s"] = wall
    out["per_s"] = n / wall if wall > 0 else None
    return out


def self_peak_rss_mb() -> float:
    """This process's peak resident set (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak resident) of a live process, in MiB, from /proc/<pid>/status."""
    out: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(rest.split()[0]) / 1024
    return out


def children_of(pid: int) -> list[int]:
    """Every live descendant of `pid` (read from /proc, no psutil)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: split after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and its live descendants: the web
    server's workers, read before and after a load to charge each request its CPU."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in [pid, *children_of(pid)]:
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def process_tree_memory(pid: int) -> list[dict[str, Any]]:
    """RSS and peak RSS of `pid` and each of its descendants."""
    rows = []
    for p in [pid, *children_of(pid)]:
        status = proc_status(p)
        if status:
            try:
                cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
            except OSError:
                cmd = ""
            rows.append(
                {"pid": p, "rss_mb": status.get("VmRSS"), "hwm_mb": status.get("VmHWM"), "cmd": cmd}
            )
    return rows


def _first_line(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def machine() -> dict[str, Any]:
    mem_kb = _first_line("/proc/meminfo", "MemTotal").split()
    os_name = ""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return {
        "cpu": _first_line("/proc/cpuinfo", "model name") or platform.processor(),
        "cores": os.cpu_count(),
        "ram_gib": round(int(mem_kb[0]) / 1024 / 1024, 1) if mem_kb else None,
        "os": f"{os_name} (kernel {platform.release()})",
        "python": sys.version.split()[0],
        "sqlite": _sqlite_version(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_avg": os.getloadavg(),
    }


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def postgres_version(url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(url) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except Exception as exc:  # the report says why instead of failing
        return f"unavailable ({type(exc).__name__})"


def run_capture(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)
