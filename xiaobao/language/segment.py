"""Word segmentation for Chinese (and mixed Chinese/English) text.

One jieba tokenizer per process, built lazily on first use under a lock, with the financial user
dictionary from `lexicon.py` (and an optional extra file named by the setting
`XIAOBAO_SEARCH_USER_DICT`). jieba's prefix-dictionary cache goes to a writable directory under
`VAR_DIR`, never next to the installed package, and its chatty start-up log is silenced.

Segmentation is deterministic: the dictionary is fixed and the search paths run without jieba's
HMM guesser, whose new-word guesses depend on the surrounding characters, so that a word written
in a query segments the way it did in the indexed text. Text is NFKC-normalised (full-width
letters and digits become ASCII), lower-cased, so English words match whatever their case, and
converted from traditional to simplified characters with OpenCC (學位 finds 学位), at index and
at query time alike.

The index holds the words, then every pair of Chinese characters that stand side by side in the
text (character bigrams, each marked with BIGRAM so that it never meets a word of the same two
characters), then every Chinese character once more (unigrams). A query is cut into dictionary
words; a stretch of the query that the dictionary does not know (it falls apart into single
characters: 房, 锦程, a name) becomes a phrase of those characters (`query_terms`), matched as
its chain of bigrams (`lexemes`: 锦程 is the one lexeme ǂ锦程, 张三丰 is ǂ张三 followed by ǂ三丰)
and a lone character as its unigram, so a single character or an unknown word is found inside
longer words and never as characters scattered over the text, and an unknown two-character word
is as cheap to find as a dictionary word.
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
import opencc
from django.conf import settings

from xiaobao.language.lexicon import FINANCE_WORDS

# Bump when the dictionary or the token rules change: documents indexed under another version are
# stale and `reindex_search --stale` rebuilds them.
ANALYZER_VERSION = 3
MAX_TOKEN_LENGTH = 40
# Marks a character bigram (a letter, so both full-text engines keep it inside the token; NFKC
# text never yields it in practice, and `_clean` drops it from words all the same).
BIGRAM = "\u01c2"

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


def warm_up() -> None:
    """Build the tokenizer and the traditional→simplified converter now (about 2 s): called by
    the WSGI module, so the first search a web process serves is not the one that waits, and,
    with `gunicorn --preload`, once in the master process, whose workers then share the
    dictionary's memory copy-on-write. Touches no database."""
    tokenizer()
    to_simplified("學")


def tokenizer() -> jieba.Tokenizer:
    """The process-wide tokenizer, built once (thread-safe)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _tokenizer = _build()
    return _tokenizer


_converter_lock = threading.Lock()
_converter: opencc.OpenCC | None = None


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC `t2s`); other text is left as it is."""
    global _converter
    if not text or text.isascii():
        return text
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                _converter = opencc.OpenCC("t2s")
    return str(_converter.convert(text))


def normalise(text: str) -> str:
    """NFKC (full-width → ASCII), lower case, traditional → simplified."""
    return to_simplified(unicodedata.normalize("NFKC", text or "").lower())


def _clean(words: object) -> list[str]:
    out: list[str] = []
    for word in words:  # type: ignore[attr-defined]
        for token in _ALNUM.findall(word.replace(BIGRAM, "")):
            if len(token) <= MAX_TOKEN_LENGTH:
                out.append(token)
    return out


_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def tokens_for_index(text: str) -> list[str]:
    """Search-engine segmentation: each long word and the dictionary words inside it, then the
    bigrams of each stretch of Chinese in text order (the chains that phrase queries match;
    a stretch's chain ends at punctuation), then every Chinese character (unigrams).

    信用卡年费 gives 信用, 信用卡, 年费, ǂ信用, ǂ用卡, ǂ卡年, ǂ年费, 信, 用, 卡, 年, 费: a query for
    信用 or 信用卡 finds it by word, 卡年 by its bigram, 卡 by its unigram. The bigrams come
    before the unigrams so that their positions, which phrases compare, stay low (PostgreSQL
    keeps positions up to 16,383)."""
    folded = normalise(text)
    words = _clean(tokenizer().cut_for_search(folded, HMM=False))
    runs = _CJK_RUN.findall(folded)
    pairs = [BIGRAM + run[i : i + 2] for run in runs for i in range(len(run) - 1)]
    return words + pairs + [ch for run in runs for ch in run]


def lexemes(term: Term) -> Term:
    """The index tokens that match `term`, side by side and in order: a phrase of two or more
    Chinese characters as its chain of bigrams, anything else (a word, a lone character, the
    pieces of an identifier) as it is."""
    if len(term) > 1 and all(len(t) == 1 and has_cjk(t) for t in term):
        return tuple(BIGRAM + term[i] + term[i + 1] for i in range(len(term) - 1))
    return term


Term = tuple[str, ...]


def query_terms(text: str) -> list[Term]:
    """What a user typed, as terms that must all match: a dictionary word is a term of one
    token; a stretch of Chinese that the dictionary cannot cut into words only (a single
    character, a name, a typo: the cut leaves single characters) is one phrase of all its
    characters, so 学位房 reads 学位房 and never 学位 plus a 房 anywhere. No repeats, in order."""
    terms: list[Term] = []
    folded = normalise(text)
    pos = 0
    for match in _CJK_RUN.finditer(folded):
        terms += [(t,) for t in _clean([folded[pos : match.start()]])]
        run = match.group()
        pieces = list(tokenizer().cut(run, HMM=False))
        if any(len(piece) == 1 for piece in pieces):
            terms.append(tuple(run[:MAX_TOKEN_LENGTH]))
        else:
            terms += [(piece,) for piece in pieces]
        pos = match.end()
    terms += [(t,) for t in _clean([folded[pos:]])]
    return list(dict.fromkeys(terms))


def loose_terms(terms: list[Term]) -> list[Term]:
    """For the any-word fallback: the words of two or more characters (and non-Chinese words)
    of `terms`; a phrase gives the dictionary words inside it, never its single characters."""
    out: list[Term] = []
    for term in terms:
        if len(term) == 1:
            if len(term[0]) > 1 or not has_cjk(term[0]):
                out.append(term)
            continue
        words = tokenizer().cut("".join(term), HMM=False)
        out += [(w,) for w in words if len(w) > 1]
    return list(dict.fromkeys(out))


def term_text(term: Term) -> str:
    """The term as the user would read it (a phrase's characters joined)."""
    return "".join(term) if all(has_cjk(t) for t in term) else " ".join(term)


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
