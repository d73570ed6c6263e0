"""Benchmarks for Xiaobao: a data generator and a runner, kept outside the product package.

`python -m bench.generate --cases N` fills a database; `python -m bench` runs every benchmark on
SQLite and PostgreSQL, side by side with a peer (django-helpdesk), and writes docs/benchmarks.md.

This package must stay importable without Django: the peer's own virtual environment imports
`bench.narratives` to load the same texts into its tickets.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The real complaint texts live beside the repository and are read at run time, never copied in.
SHARED_DATA = Path(os.environ.get("BENCH_SHARED_DATA", str(REPO_ROOT.parent / "shared" / "data")))
WORK_DIR = Path(os.environ.get("BENCH_WORK_DIR", str(REPO_ROOT / "var" / "bench")))
