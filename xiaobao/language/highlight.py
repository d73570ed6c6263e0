"""Highlighted snippets, built in Python from the original text and the matched query tokens.

Everything that comes from the text is HTML-escaped; only the `<mark>` tags are ours. Matching runs
on an NFKC-normalised, lower-cased copy of the text (the form the tokens were made from) and maps
each match back to the original characters, so full-width or upper-case words highlight too.
English tokens match whole words only (`fee` does not light up inside `feedback`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from xiaobao.language.segment import to_simplified

MAX_MATCHES = 200
_ASCII_WORD = re.compile(r"[0-9a-z]+")


class _Folded(dict[int, str]):
    """Each character's NFKC, lower-cased form, worked out once per process and character (a
    `str.translate` table: the text is folded in one C loop instead of a call per character)."""

    LIMIT = 65_536  # distinct characters kept (a text of rare characters cannot grow it on)

    def __missing__(self, code: int) -> str:
        if len(self) >= self.LIMIT:
            self.clear()
        folded = unicodedata.normalize("NFKC", chr(code)).lower()
        self[code] = folded
        return folded


_FOLDED = _Folded()


def _normalised_with_map(text: str) -> tuple[str, Sequence[int]]:
    """The NFKC, lower-cased, simplified text and, for each of its characters, the original
    index (traditional 學位 in a text lights up for the query 学位)."""
    joined = text.translate(_FOLDED)
    if len(joined) == len(text):
        # No character folds to nothing, so none folded to two either: position for position.
        index: Sequence[int] = range(len(text))
    else:  # a ligature (ﬁ), a squared word (㍿) …: map each folded character back
        index = [i for i, ch in enumerate(text) for _ in _FOLDED[ord(ch)]]
    simplified = to_simplified(joined)
    if len(simplified) != len(joined):  # a phrase conversion changed the length: char by char
        simplified = "".join(
            converted if len(converted := to_simplified(ch)) == 1 else ch for ch in joined
        )
    return simplified, index


def _pattern(tokens: Sequence[str]) -> re.Pattern[str] | None:
    parts = []
    for token in sorted(set(tokens), key=len, reverse=True):
        if not token:
            continue
        escaped = re.escape(token)
        if _ASCII_WORD.fullmatch(token):
            escaped = rf"(?<![0-9a-z]){escaped}(?![0-9a-z])"
        parts.append(escaped)
    return re.compile("|".join(parts)) if parts else None


def _matches(text: str, tokens: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, token) spans in the original text, in order, not overlapping."""
    pattern = _pattern(tokens)
    if pattern is None or not text:
        return []
    folded, index = _normalised_with_map(text)
    spans: list[tuple[int, int, str]] = []
    for m in pattern.finditer(folded):
        start = index[m.start()]
        end = index[m.end() - 1] + 1
        if spans and spans[-1][1] == start:  # words of the query side by side: one mark
            previous = spans[-1]
            spans[-1] = (previous[0], end, previous[2] + m.group())
            continue
        spans.append((start, end, m.group()))
        if len(spans) >= MAX_MATCHES:
            break
    return spans


def _render(text: str, spans: Sequence[tuple[int, int, str]], start: int, end: int) -> str:
    parts: list[str] = []
    pos = start
    for s, e, _token in spans:
        if s < start or e > end:
            continue
        parts.append(escape(text[pos:s]))
        parts.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    parts.append(escape(text[pos:end]))
    return "".join(parts)


def highlight(text: str, tokens: Sequence[str]) -> SafeString:
    """The whole text, escaped, with every token occurrence marked."""
    return mark_safe(_render(text, _matches(text, tokens), 0, len(text)))  # escaped above


def snippet(text: str, tokens: Sequence[str], *, width: int = 140, lead: int = 20) -> SafeString:
    """The `width` characters of `text` that show the most different tokens, marked and escaped."""
    text = " ".join(text.split())
    spans = _matches(text, tokens)
    if not spans:
        cut = text[:width]
        return mark_safe(escape(cut) + ("…" if len(text) > width else ""))
    best_start, best_count = 0, -1
    for anchor, _e, _t in spans:
        start = max(0, anchor - lead)
        covered = {t for s, e, t in spans if s >= start and e <= start + width}
        if len(covered) > best_count:
            best_start, best_count = start, len(covered)
    end = min(len(text), best_start + width)
    body = _render(text, spans, best_start, end)
    prefix = "…" if best_start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + body + suffix)  # every piece of text was escaped
