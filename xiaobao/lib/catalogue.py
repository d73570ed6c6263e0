"""Which strings marked for translation have no English entry.

Strings are read the way `makemessages` reads them, without GNU gettext: Python files through the
`ast` (calls of `_`, `gettext`, `pgettext`, `ngettext` and their lazy forms with literal
arguments), templates through Django's own `templatize`. The English side is every catalogue
`compile_translations` compiles: the project's `locale/` and each app's own `locale/`."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polib

GETTEXT_NAMES = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
# `templatize` writes every translatable string as one of these calls with repr()'d literals.
_LITERAL = r"""u?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
TEMPLATE_CALL = re.compile(
    rf"\b(npgettext|ngettext|pgettext|gettext|_)\(\s*({_LITERAL}(?:\s*,\s*{_LITERAL})*)"
)
TEMPLATE_LITERAL = re.compile(_LITERAL)


@dataclass(frozen=True)
class Marked:
    """One string marked for translation and where it was found."""

    msgid: str
    context: str | None
    where: str
    plural: str | None = None  # ngettext's plural: it needs a plural entry (msgstr[0], [1]…)

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.context, self.msgid, self.plural)


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def python_strings(path: Path, root: Path) -> Iterator[Marked]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        spec = GETTEXT_NAMES.get(_call_name(node) or "")
        if spec is None:
            continue
        ctx_at, singular_at, plural_at = spec
        args = node.args
        values = [a.value if isinstance(a, ast.Constant) else None for a in args]
        if len(values) <= singular_at or not isinstance(values[singular_at], str):
            continue  # a variable passed through gettext: nothing to extract
        context = values[ctx_at] if ctx_at is not None else None
        where = f"{path.relative_to(root)}:{node.lineno}"
        plural = None
        if plural_at is not None and len(values) > plural_at and isinstance(values[plural_at], str):
            plural = str(values[plural_at])
        context = context if isinstance(context, str) else None
        yield Marked(str(values[singular_at]), context, where, plural)


def template_strings(path: Path, root: Path) -> Iterator[Marked]:
    from django.utils.translation.template import templatize

    text = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    for match in TEMPLATE_CALL.finditer(text):
        name = match.group(1)
        literals = [
            ast.literal_eval(lit.lstrip("u")) for lit in TEMPLATE_LITERAL.findall(match.group(2))
        ]
        line = text.count("\n", 0, match.start()) + 1
        where = f"{path.relative_to(root)}:{line}"
        context = literals.pop(0) if name.startswith(("pgettext", "npgettext")) else None
        if name == "_" and not literals:
            continue
        plural = literals[1] if name in ("ngettext", "npgettext") and len(literals) > 1 else None
        yield Marked(literals[0], context, where, plural)


def marked_strings(package: Path) -> list[Marked]:
    """Every string marked for translation in the package's Python files and templates (tests
    and migrations left out, as `makemessages` users usually do)."""
    root = package.parent
    found: list[Marked] = []
    for path in sorted(package.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        found.extend(python_strings(path, root))
    for path in sorted(package.rglob("*.html")):
        found.extend(template_strings(path, root))
    return found


def english_entries(catalogues: list[Path]) -> set[tuple[str | None, str, str | None]]:
    """(context, msgid, plural) of every translated, non-fuzzy entry of the English catalogues.
    A plural string counts only as a plural entry: ngettext never reads a singular one."""
    entries: set[tuple[str | None, str, str | None]] = set()
    for locale_dir in catalogues:
        for po_path in locale_dir.glob("en/LC_MESSAGES/*.po"):
            for entry in polib.pofile(str(po_path)):
                if entry.translated() and "fuzzy" not in entry.flags:
                    entries.add((entry.msgctxt, entry.msgid, entry.msgid_plural or None))
    return entries


def missing_english(package: Path, catalogues: list[Path]) -> list[Marked]:
    """Marked strings without an English entry, each msgid once (first place it was found)."""
    known = english_entries(catalogues)
    missing: dict[tuple[str | None, str, str | None], Marked] = {}
    for marked in marked_strings(package):
        if marked.key not in known and marked.key not in missing:
            missing[marked.key] = marked
    return list(missing.values())
