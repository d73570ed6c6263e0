"""PDF by printing HTML with headless Chromium: the browser the test suite already uses, with the
system's CJK fonts (Noto Serif/Sans CJK SC on Debian: `fonts-noto-cjk`), so Chinese text is
typeset and embedded properly without a PDF library of our own."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from xiaobao.lib.errors import DomainError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 60


def chromium_path() -> str | None:
    configured = os.environ.get("XIAOBAO_CHROMIUM", "")
    if configured:
        return configured if Path(configured).exists() else None
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


def html_to_pdf(html: str) -> bytes:
    """Print `html` (a complete UTF-8 document) to PDF; DomainError if no browser is installed."""
    browser = chromium_path()
    if browser is None:
        raise DomainError(
            "服务器未安装 Chromium，无法生成 PDF（可安装 chromium 与 fonts-noto-cjk，"
            "或设置 XIAOBAO_CHROMIUM）；请下载 Word 版本。",
            code="no_pdf_engine",
        )
    with tempfile.TemporaryDirectory(prefix="xiaobao-pdf-") as tmp:
        source, target = Path(tmp) / "doc.html", Path(tmp) / "doc.pdf"
        source.write_text(html, encoding="utf-8")
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={tmp}/profile",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_SECONDS)
        except (subprocess.SubprocessError, OSError) as exc:
            raise DomainError(
                "PDF 生成失败：%(error)s",
                params={"error": type(exc).__name__},
                code="pdf_failed",
            ) from exc
        if not target.exists():
            raise DomainError("PDF 生成失败。", code="pdf_failed")
        return target.read_bytes()
