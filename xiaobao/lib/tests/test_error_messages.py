"""Every literal message a service raises as a domain error has an English entry, and is shown in
the language of the request."""

from __future__ import annotations

import ast
from pathlib import Path

import polib
from django.utils import translation

import xiaobao
from xiaobao.front.management.commands.compile_translations import catalogue_dirs
from xiaobao.lib.errors import DomainError, PermissionDeniedError

PACKAGE = Path(xiaobao.__file__).resolve().parent
# DomainError and its kinds anywhere in the code.
ERROR_NAMES = {
    "DomainError",
    "PermissionDeniedError",
    "InvalidTransitionError",
    "TargetRefused",
    "IdempotencyConflict",
}


def literal_messages(root: Path) -> dict[str, str]:
    """Chinese literal messages raised as domain errors outside tests and migrations."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", "")
            first = node.args[0]
            if (
                name in ERROR_NAMES
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and any("\u4e00" <= ch <= "\u9fff" for ch in first.value)
            ):
                found.setdefault(first.value, f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def english_msgids() -> set[str]:
    ids: set[str] = set()
    for folder in catalogue_dirs():
        for po in (folder / "en" / "LC_MESSAGES").glob("*.po"):
            ids |= {e.msgid for e in polib.pofile(str(po)) if e.msgstr}
    return ids


def test_every_literal_domain_error_message_has_an_english_entry():
    messages = literal_messages(PACKAGE)
    assert len(messages) > 150  # the walk really reads the services
    assert "计划至少须有一项工作措施才能提交。" in messages
    missing = {m: where for m, where in messages.items() if m not in english_msgids()}
    listing = "\n".join(f"{where}: {m}" for m, where in list(missing.items())[:40])
    assert not missing, f"{len(missing)} domain error message(s) without English:\n{listing}"


def test_a_domain_error_speaks_the_language_of_the_request():
    error = PermissionDeniedError("您没有执行此操作的权限。")
    with translation.override("en"):
        assert error.message == "You do not have permission to do this." == str(error)
    with translation.override("zh-hans"):
        assert error.message == "您没有执行此操作的权限。"
    # A message built with values has no entry and stays as written.
    assert DomainError("第3行：日期无效。").message == "第3行：日期无效。"
