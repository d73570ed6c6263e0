"""Personal data typed into free text: kept encrypted, shown masked, revealed only with a reason.

A model that takes free text (a complaint's title, narrative and demand, an event's note) has one
`EncryptedTextField` column, ``sealed_text``, and calls `seal_fields` before it is written. Every
phone, ID (valid, mistyped or spaced), bank card, e-mail, passport and street address found by
`redaction.find_personal_data`, and every known name (the case's complainants), is replaced by
its mask in the readable column; the text as typed goes into ``sealed_text`` (JSON
``{field: {"o": original, "m": masked}}``, encrypted at rest). So every page, list, export, the
admin and the API show the masked text without having to remember to, and `original()` gives the
text back to the one service that reveals it with a logged reason (`privacy.services`).

Sealing is idempotent: saving again a text that is still the stored mask keeps its original (and
re-masks it if more names have become known); a text that was edited since is sealed afresh.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from xiaobao.privacy.masking import mask_name
from xiaobao.privacy.redaction import redact

SEALED_KIND = "sealed_text"
MIN_NAME_LENGTH = 2  # a one-character "name" would mask that character everywhere


def redact_text(text: str, *, names: Iterable[str] = ()) -> str:
    """`redaction.redact` plus the given people's names (longest first), each by its mask."""
    out = redact(text)
    wanted = sorted(
        {n.strip() for n in names if n and len(n.strip()) >= MIN_NAME_LENGTH and n.strip() in out},
        key=len,
        reverse=True,
    )
    if len(wanted) == 1:  # the usual case, and no pattern to compile for each text
        out = out.replace(wanted[0], mask_name(wanted[0]))
    elif wanted:
        pattern = re.compile("|".join(re.escape(n) for n in wanted))
        out = pattern.sub(lambda m: mask_name(m.group()), out)
    return out


def _load(instance: Any) -> dict[str, dict[str, str]]:
    raw = getattr(instance, "sealed_text", "") or ""
    if not raw:
        return {}
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}


def seal_fields(instance: Any, fields: Iterable[str], *, names: Iterable[str] = ()) -> bool:
    """Mask personal data in `fields` of `instance` and keep the originals sealed; returns
    whether ``sealed_text`` changed. `names`: the people whose names count as personal here."""
    names = list(names)
    stored = _load(instance)
    sealed = dict(stored)
    for field in fields:
        value = getattr(instance, field) or ""
        kept = sealed.get(field)
        # The text is still the mask saved last time: start again from what was typed.
        source = kept["o"] if kept and value == kept.get("m") else value
        masked = redact_text(source, names=names)
        max_length = getattr(instance._meta.get_field(field), "max_length", None)
        if max_length:
            masked = masked[:max_length]
        if masked != source:
            sealed[field] = {"o": source, "m": masked}
            setattr(instance, field, masked)
        else:
            sealed.pop(field, None)
            setattr(instance, field, source)
    if sealed == stored:
        return False
    instance.sealed_text = json.dumps(sealed, ensure_ascii=False) if sealed else ""
    return True


def is_sealed(instance: Any, field: str) -> bool:
    entry = _load(instance).get(field)
    return entry is not None and getattr(instance, field) == entry.get("m")


def sealed_fields(instance: Any) -> list[str]:
    """The fields of `instance` whose shown text hides personal data."""
    return [f for f in _load(instance) if is_sealed(instance, f)]


def original(instance: Any, field: str) -> str:
    """The text as typed (for the reveal service only); the shown text when nothing was sealed."""
    entry = _load(instance).get(field)
    value = getattr(instance, field) or ""
    if entry and value == entry.get("m"):
        return str(entry.get("o", value))
    return str(value)


def unseal(instance: Any) -> None:
    """Forget the originals (anonymisation): the masked text is all that remains."""
    instance.sealed_text = ""
