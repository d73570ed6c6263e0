"""Word segmentation for Chinese (and mixed Chinese/English) text.

One jieba tokenizer per process, built lazily on first use under a lock, with the financial user
dictionary from `lexicon.py` (and an optional extra file named by the setting
`XIAOBAO_SEARCH_USER_DICT`). jieba's prefix-dictionary cache goes to a writable directory under
`VAR_DIR`, never next to the installed package, and its chatty start-up log is silenced.

Segmentation is deterministic: the dictionary is fixed and the search paths run without jieba's
HMM guesser, whose new-word guesses depend on the surrounding characters, so that a word written
in a query segments the way it did in the indexed text. Text is NFKC-normalised (full-width
letters and digits become ASCII) and lower-cased, so English words match whatever their case.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba
from django.conf import settings

from xiaobao.language.lexicon import FINANCE_WORDS

# Bump when the dictionary or the token rules change: documents indexed under another version are
# stale and `reindex_search --stale` rebuilds them.
ANALYZER_VERSION = 1
MAX_TOKEN_LENGTH = 40

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
# Letters and digits only: everything else separates tokens (and never reaches a query parser).
_ALNUM = re.compile(r"[^\W_]+")


def _cache_dir() -> str:
    var_dir = getattr(settings, "VAR_DIR", None)
    if var_dir:
        path = Path(var_dir) / "cache" / "jieba"
        try:
            path.mkdir(parents=True, exist_ok=True)
            return str(path)
        except OSError:
            pass
    return tempfile.gettempdir()


def _build() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = _cache_dir()
    tokenizer.initialize()
    for line in FINANCE_WORDS.splitlines():
        parts = line.split()
        if parts:
            tokenizer.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None)
    extra = getattr(settings, "XIAOBAO_SEARCH_USER_DICT", "")
    if extra:
        tokenizer.load_userdict(str(extra))
    return tokenizer


def tokenizer() -> jieba.Tokenizer:
    """The process-wide tokenizer, built once (thread-safe)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _tokenizer = _build()
    return _tokenizer


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _clean(words: object) -> list[str]:
    out: list[str] = []
    for word in words:  # type: ignore[attr-defined]
        for token in _ALNUM.findall(word):
            if len(token) <= MAX_TOKEN_LENGTH:
                out.append(token)
    return out


def tokens_for_index(text: str) -> list[str]:
    """Search-engine segmentation: each long word and the dictionary words inside it.

    信用卡年费 gives 信用, 信用卡, 年费, so a query for 信用 or 信用卡 finds it.
    """
    return _clean(tokenizer().cut_for_search(normalise(text), HMM=False))


def tokens_for_query(text: str) -> list[str]:
    """Precise segmentation of what a user typed, without repeats, in order."""
    return list(dict.fromkeys(_clean(tokenizer().cut(normalise(text), HMM=False))))


def index_string(text: str) -> str:
    """The space-joined index tokens, the form both databases' full-text engines are given."""
    return " ".join(tokens_for_index(text))


@lru_cache(maxsize=8192)
def words(text: str) -> tuple[str, ...]:
    """Precise segmentation for the classifier (cached: cross-validation sees each text often)."""
    return tuple(_clean(tokenizer().cut(normalise(text), HMM=False)))


def has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)
