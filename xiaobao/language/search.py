"""Full-text search over the registry, in Chinese and English, on each database's native index.

How it works
------------
Text is segmented with jieba at index time (`segment.tokens_for_index`, the search-engine mode
that also emits the dictionary words inside long words) and stored space-joined in
`SearchDocument`. Each database indexes those tokens with its own engine (migration 0002):

* SQLite: an FTS5 table (`unicode61` splits on the spaces), ranked by `bm25` with the title
  weighted 3:1 over the body;
* PostgreSQL: a generated `tsvector` ('simple' configuration: no stemming, the words are already
  cut) with a GIN index, title weight A and body weight B, ranked by `ts_rank_cd`.

A query is cut into terms (`segment.query_terms`): dictionary words, and phrases of characters
for whatever the dictionary does not know (a single character, a name), which must stand side by
side in the text (the index also holds every pair of adjacent Chinese characters and every
character: a phrase is matched as its chain of bigrams, `segment.lexemes`); all terms must match.
If nothing matches all of them, any word of two or more characters may match (the page says so).
A query that is a registry number or a referral's reference number finds exactly that case.
The full-text condition is added to
the ordinary registry queryset, so the branch scope (`visible_to`) and the registry filters
(`RegistryFilter`) apply in the same SQL statement. Its form follows the words' frequency
(`choose_plan`, from PostgreSQL's statistics or FTS5's vocabulary): a rare word's matches are
read from the index first, a common word's by walking the newest cases in scope until enough
match; on PostgreSQL a word between the two (where both would read tens of thousands of rows
at a million cases) is read from the index one window of newest case ids at a time
(`_windowed_matches`), with the same result. The newest COUNT_CAP + 1 matches give the count, the newest CANDIDATES of them are
ranked, and the page's hits are loaded with only the columns the hit list shows. Snippets and
highlighting are made in Python from the stored (redacted) original text (`highlight.py`).

Plugging in Elasticsearch / OpenSearch (large deployments)
----------------------------------------------------------
`search_complaints` is the only entry point the pages, the API and the duplicate finder use, and
`SearchDocument` plus the `language.index_complaint` job are the only writers, so a search cluster
replaces the two vendor branches below without touching any caller:

1. Index: create an index with the IK analysis plugin (`analysis-ik`), mapping
   `title` and `body` as `text` with `"analyzer": "ik_max_word"` (index time, like
   `cut_for_search`) and `"search_analyzer": "ik_smart"` (query time, like `cut`); load the words
   from `lexicon.py` into IK's `custom/finance.dic` so both engines agree. Add `keyword` fields for
   everything the registry filters on (`unit_path`, `status`, `kind`, category/cause/channel
   codes, `received_at`, `due_at`, `is_major`, `tags`, `handler`), since a cluster cannot join.
2. Write: make the `language.index_complaint` handler also `PUT /cases/_doc/<id>` the redacted
   title/body and those fields (or replace `SearchDocument` writes altogether); `reindex_search`
   becomes a `_bulk` loader. Unit moves must re-send the affected cases' `unit_path`.
3. Read: run `multi_match` over `title^3, body` with `"operator": "and"` inside a `bool` query
   whose `filter` clause carries `prefix: {unit_path: user.unit.path}` (the branch scope, never
   optional) and the registry filters translated field by field; ask for `highlight` with
   `<mark>` tags, or keep `highlight.py`. Take the ranked ids, then load the rows through
   `complaint_list(user=...)` again, so the database's scope check stays the final word even if
   the cluster's copy is stale.
4. Choose the backend with one setting (e.g. `XIAOBAO_SEARCH_BACKEND=elasticsearch` plus URL and
   credentials from the environment); keep the database backend for tests and small sites.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Max, Q, QuerySet
from django.utils.safestring import SafeString

from xiaobao.complaints.filters import RegistryFilter
from xiaobao.complaints.models import Complaint
from xiaobao.complaints.selectors import complaint_list
from xiaobao.language.highlight import highlight, snippet
from xiaobao.language.models import SearchDocument
from xiaobao.language.segment import BIGRAM, Term, lexemes, loose_terms, query_terms, term_text
from xiaobao.lib.errors import DomainError
from xiaobao.organisation.scope import visible_to

DEFAULT_LIMIT = 20
MAX_LIMIT = 500
# A common word (信用卡) matches a third of a large registry; scoring every match would take
# seconds. The CANDIDATES most recently received matches are taken first and only those are
# ranked (the page says so, ten pages of 20); the matches are counted up to COUNT_CAP ("more
# than …" beyond). Collecting them is most of a search's time (at a million cases on
# PostgreSQL, 1,000 and 500 took twice as long as 200 and 200).
CANDIDATES = 200
COUNT_CAP = 200
MAX_QUERY_TOKENS = 32
TITLE_WEIGHT = 3.0
# What a registry number or a referral's reference number looks like: no spaces, no Chinese,
# at least one digit (TS2026-000123, 12315-2026-0456, BJ/2026/77).
_IDENTIFIER = re.compile(r"(?=[^\s]*\d)[0-9A-Za-z][0-9A-Za-z\-_/.#]{2,63}")

QueryTerm = str | Term
# What a hit shows of its case (the rest is deferred; the wide registry join is not needed).
HIT_COLUMNS = ("id", "registry_no", "status", "received_at", "title", "unit__name")


@dataclass
class SearchHit:
    """One ranked case with its highlighted title and snippet (HTML-safe)."""

    complaint: Complaint
    score: float
    title_html: SafeString
    snippet_html: SafeString
    exact: bool = False  # found by its registry number or reference number


@dataclass
class SearchResults:
    """Ranked hits of one page; `all_terms` is False when no case had every word and any word
    was enough; `exact` when the query was a registry or reference number that matched."""

    query: str
    tokens: list[str]
    hits: list[SearchHit] = field(default_factory=list)
    all_terms: bool = True
    # More cases matched than were ranked: the hits are the best of the newest CANDIDATES.
    truncated: bool = False
    exact: bool = False
    total: int = 0  # matching cases, counted up to COUNT_CAP
    total_capped: bool = False  # more than COUNT_CAP matched
    page: int = 1
    pages: int = 1
    per_page: int = DEFAULT_LIMIT
    # The registry filter set the search applied (its form is the page's filter form).
    filterset: Any = field(default=None, repr=False)

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.hits else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.hits) - 1 if self.hits else 0


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise DomainError(
            "全文检索暂不支持 %(vendor)s 数据库。",
            params={"vendor": vendor},
            code="search_unsupported",
        )
    return vendor


def _as_term(term: QueryTerm) -> Term:
    return (term,) if isinstance(term, str) else tuple(term)


def _lexemes(term: QueryTerm) -> Term:
    """The index tokens the term is matched as, side by side (`segment.lexemes`)."""
    return lexemes(_as_term(term))


def _chain(tokens: Term) -> bool:
    """Whether `tokens` are a phrase's chain of overlapping bigrams."""
    return len(tokens) > 1 and all(t.startswith(BIGRAM) for t in tokens)


def _fts5_query(terms: Sequence[QueryTerm], any_term: bool) -> str:
    # Tokens are letters and digits only (segment._clean, segment.query_terms); quoting makes
    # each term a plain string, and the tokens of one quoted string a phrase (adjacent, in order).
    quoted = ['"' + " ".join(_lexemes(t)) + '"' for t in terms]
    return (" OR " if any_term else " ").join(quoted)


def _tsquery(terms: Sequence[QueryTerm], any_term: bool) -> str:
    def lexeme(token: str) -> str:
        return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"

    parts = ["(" + " <-> ".join(lexeme(t) for t in _lexemes(term)) + ")" for term in terms]
    return (" | " if any_term else " & ").join(parts)


def ranked(
    queryset: QuerySet[Complaint],
    tokens: Sequence[QueryTerm],
    *,
    any_term: bool = False,
    score: bool = True,
    id_range: tuple[int, int] | None = None,
    matched: bool = False,
) -> QuerySet[Complaint]:
    """`queryset` restricted to full-text matches of `tokens` (words, or phrases given as
    tuples of tokens), annotated with `search_rank` (unless `score` is False: matching only).
    `id_range` bounds the case ids on the full-text side too, so SQLite's FTS5 reads only that
    stretch of its doclists. `matched`: the rows are known to match, only score them (on
    PostgreSQL the match is then not tested again, which could make the planner read every
    match from the index instead of the few rows given).

    `extra()` is used on purpose: the full-text table must sit in the same FROM clause as the
    complaint so that the planner drives the join from the index; no ORM expression can name an
    FTS5 table or a column that exists only on one database.
    """
    if _vendor() == "sqlite":
        match = _fts5_query(tokens, any_term)
        select = {"search_rank": f"-bm25(language_search_fts, {TITLE_WEIGHT}, 1.0)"}
        where = [
            "language_search_fts.rowid = complaints_complaint.id",
            "language_search_fts MATCH %s",
        ]
        params: list[Any] = [match]
        if id_range is not None:
            where.append("language_search_fts.rowid BETWEEN %s AND %s")
            params += list(id_range)
        return queryset.extra(
            select=select if score else None,
            tables=["language_search_fts"],
            where=where,
            params=params,
        )
    tsquery = _tsquery(tokens, any_term)
    rank = "ts_rank_cd(language_searchdocument.search_vector, to_tsquery('simple', %s), 1)"
    where = ["language_searchdocument.complaint_id = complaints_complaint.id"]
    if not matched:
        where.append("language_searchdocument.search_vector @@ to_tsquery('simple', %s)")
    return queryset.extra(
        select={"search_rank": rank} if score else None,
        select_params=[tsquery] if score else None,
        tables=["language_searchdocument"],
        where=where,
        params=[] if matched else [tsquery],
    )


def registry_filterset(data: Mapping[str, Any] | None, queryset: QuerySet[Complaint]) -> Any:
    """The registry's own filter set over `queryset`; bad filter values raise a DomainError."""
    filterset = RegistryFilter(data or None, queryset=queryset)
    if filterset.is_bound and not filterset.is_valid():
        problems = "；".join(
            f"{filterset.form.fields[name].label}：{'、'.join(errors)}"
            for name, errors in filterset.errors.items()
            if name in filterset.form.fields
        )
        raise DomainError(
            "筛选条件有误：%(problems)s", params={"problems": problems}, code="invalid_filter"
        )
    return filterset


# --- the plan: by how many documents hold the words ------------------------------------------------
#
# Two ways to find the newest matches, and each is fast only for one kind of word:
# * INDEX: read every match from the inverted index, then keep those in scope (and the filters),
#   newest first. Its cost grows with the number of matches: right for rare words, seconds for
#   a word in a third of a million documents.
# * RECENT: walk the cases in scope newest first and check each against its document, stopping
#   at COUNT_CAP + 1 matches. Its cost grows with the rows walked, about COUNT_CAP / share: right
#   for common words, a walk over the whole registry for a rare one.
# The share of documents holding the words is read from PostgreSQL's own statistics of the
# tsvector column (most common lexemes and their frequencies; a word not listed is rarer than the
# rarest listed) and from FTS5's vocabulary on SQLite (exact document counts). Phrases and several
# words multiply their shares (independence: an underestimate for words that go together, which
# errs towards the index plan, the one that stays bounded when it is the wrong choice).

INDEX = "index"
RECENT = "recent"
WINDOWS = "windows"
# The walk is chosen when it reads fewer rows than the index plan would fetch, times this
# margin: measured at 100,000 cases on PostgreSQL, a walked row costs 11-15 µs and a fetched
# match 7-15 µs plus the index scan itself.
WALK_MARGIN = 0.75
PHRASE_SHARE = 0.1
PHRASE_RECHECK = 3.0
# PostgreSQL only, see _windowed_matches: the plan for words where both other plans would read
# more than WINDOWS_ABOVE rows (measured at 300,000 cases, _newest_matches alone: 年费, in 2.4%,
# 53 ms in windows; 征信, in 30%, 19 ms in windows against about 85 ms by the walk); the first
# window is sized to hold WINDOW_SLACK times the matches needed, at least WINDOW_MIN ids, and
# each next one at most WINDOW_GROWTH times wider than the last.
WINDOWS_ABOVE = 2_000
# ... unless walking the newest cases would meet enough matches within WALK_ABOVE rows. Kept low
# because the shares come from the whole registry, and the newest cases may hold a word far less
# often: at a million generated cases 催收 is in 11.8% of the documents but in 1.7% of the newest
# (open cases have no decision text yet), so a walk planned for 1,700 rows read 11,500 (100 ms);
# the windows measure the density they meet and widen accordingly.
WALK_ABOVE = 1_000
WINDOW_SLACK = 2.5
WINDOW_MIN = 2_000
WINDOW_GROWTH = 8
STATISTICS_TTL = 600.0  # seconds a process keeps the frequencies it read


@dataclass(frozen=True)
class Frequencies:
    """How many documents there are and the share holding each common word."""

    documents: int
    shares: Mapping[str, float]
    floor: float  # every word not in `shares` is in fewer documents than this share


_frequencies: dict[str, tuple[float, Frequencies]] = {}


def _read_postgres_frequencies() -> Frequencies:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples::bigint, s.most_common_elems::text::text[],"
            " s.most_common_elem_freqs FROM pg_class c LEFT JOIN pg_stats s"
            " ON s.tablename = c.relname AND s.attname = 'search_vector'"
            " AND s.schemaname = current_schema()"
            " WHERE c.relname = 'language_searchdocument' AND c.relnamespace ="
            " current_schema()::regnamespace"
        )
        row = cursor.fetchone()
    if row is None or row[1] is None:
        return Frequencies(documents=max(0, int(row[0])) if row else 0, shares={}, floor=1.0)
    documents, elems, freqs = row
    # The frequencies are followed by the minimum, the maximum and the null frequency.
    shares = {elem: float(freq) for elem, freq in zip(elems, freqs, strict=False)}
    floor = float(freqs[len(elems)]) if len(freqs) > len(elems) else min(shares.values())
    return Frequencies(documents=max(0, int(documents)), shares=shares, floor=floor)


def frequencies() -> Frequencies:
    """The current database's word frequencies, read at most every STATISTICS_TTL seconds."""
    key = connection.alias
    cached = _frequencies.get(key)
    if cached is not None and time.monotonic() - cached[0] < STATISTICS_TTL:
        return cached[1]
    if connection.vendor == "postgresql":
        found = _read_postgres_frequencies()
    else:
        documents = SearchDocument.objects.count()
        found = Frequencies(documents=documents, shares={}, floor=1.0)
    _frequencies[key] = (time.monotonic(), found)
    return found


def _sqlite_share(token: str, documents: int) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT doc FROM language_search_vocab WHERE term = %s", [token])
        row = cursor.fetchone()
    return (row[0] if row else 0) / documents


def term_share(term: QueryTerm, found: Frequencies | None = None) -> float:
    """The estimated share of documents holding every token `term` is matched as: the product
    of theirs, or for a chain of bigrams the rarest one's (they overlap: 张三 and 三丰 go
    together)."""
    found = found or frequencies()
    if found.documents <= 0:
        return 0.0
    tokens = _lexemes(term)
    if connection.vendor == "sqlite":
        shares = [_sqlite_share(t, found.documents) for t in tokens]
    else:
        shares = [found.shares.get(t, found.floor / 2) for t in tokens]
    return min(shares) if _chain(tokens) else math.prod(shares)


def _phrase(term: QueryTerm) -> bool:
    """A phrase of separate tokens (the pieces of an identifier), whose order only a re-check
    of each document can tell; a bigram chain almost always stands together when all of its
    bigrams are there."""
    tokens = _lexemes(term)
    return len(tokens) > 1 and not _chain(tokens)


def _match_share(terms: Sequence[QueryTerm], any_term: bool, found: Frequencies) -> float:
    """The estimated share of documents matching `terms` (a phrase in PHRASE_SHARE of the
    documents holding its characters)."""
    matching = [term_share(t, found) * (PHRASE_SHARE if _phrase(t) else 1.0) for t in terms]
    return min(1.0, sum(matching)) if any_term else math.prod(matching)


def choose_plan(terms: Sequence[QueryTerm], any_term: bool) -> str:
    """RECENT when walking the newest cases finds COUNT_CAP + 1 matches in fewer rows than the
    index would return (times WALK_MARGIN), else INDEX; on PostgreSQL, WINDOWS instead of either
    when the index would return more than WINDOWS_ABOVE rows and the walk read more than
    WALK_ABOVE (every word but the rare and the very common ones at a million cases), phrases
    excepted.

    A phrase of several tokens (the bigram chain of three or more characters, the pieces of an
    identifier) is rarer than its tokens together: the index returns every document holding them
    all, each then re-read to check the order (PHRASE_RECHECK), while the walk meets a match
    only in about PHRASE_SHARE of those documents (a bigram chain: in nearly all of them). Two
    characters are one bigram, planned like a word."""
    found = frequencies()
    held = [term_share(t, found) for t in terms]
    held_share = min(1.0, sum(held)) if any_term else math.prod(held)
    share = _match_share(terms, any_term, found)
    if share <= 0:
        return INDEX
    phrase = any(len(_lexemes(t)) > 1 for t in terms)
    fetched = held_share * found.documents * (PHRASE_RECHECK if phrase else 1.0)
    walked = (COUNT_CAP + 1) / share
    plan = RECENT if fetched > WALK_MARGIN * walked else INDEX
    # Not for phrases: the planner will not intersect a phrase's bitmap with the window's (it
    # counts the re-check of every document holding the characters as free), so a window
    # costs as much as the index plan.
    if (
        connection.vendor == "postgresql"
        and not phrase
        and fetched > WINDOWS_ABOVE
        and walked > WALK_ABOVE
    ):
        return WINDOWS
    return plan


def _matching(
    base: QuerySet[Complaint],
    terms: Sequence[QueryTerm],
    any_term: bool,
    plan: str,
    id_range: tuple[int, int] | None = None,
) -> QuerySet[Complaint]:
    """`base` restricted to the cases matching `terms`, in the form that makes the database
    follow `plan` (WINDOWS: the index's matches with ids in `id_range`, start included)."""
    if plan == WINDOWS:
        assert id_range is not None
        start, end = id_range
        window = base.filter(pk__gte=start, pk__lt=end)
        if _vendor() == "sqlite":
            # FTS5's doclists are in rowid order: it seeks the window's stretch of each.
            return window.extra(
                where=[
                    "complaints_complaint.id IN (SELECT rowid FROM language_search_fts"
                    " WHERE language_search_fts MATCH %s AND rowid >= %s AND rowid < %s)"
                ],
                params=[_fts5_query(terms, any_term), start, end],
            )
        # The GIN index's matches are intersected with the primary key's range (BitmapAnd)
        # before any document is read; OFFSET 0 keeps the subquery whole.
        return window.extra(
            where=[
                "complaints_complaint.id IN (SELECT complaint_id FROM language_searchdocument"
                " WHERE search_vector @@ to_tsquery('simple', %s)"
                " AND complaint_id >= %s AND complaint_id < %s OFFSET 0)"
            ],
            params=[_tsquery(terms, any_term), start, end],
        )
    if _vendor() == "sqlite":
        if plan == INDEX:
            return ranked(base, terms, any_term=any_term, score=False)
        # A correlated lookup per walked case: FTS5 seeks the rowid in each word's doclist.
        return base.extra(
            where=[
                "complaints_complaint.id IN (SELECT rowid FROM language_search_fts"
                " WHERE language_search_fts MATCH %s AND rowid = complaints_complaint.id)"
            ],
            params=[_fts5_query(terms, any_term)],
        )
    tsquery = _tsquery(terms, any_term)
    if plan == INDEX:
        # OFFSET 0 keeps the subquery whole: the matches come from the GIN index first.
        return base.extra(
            where=[
                "complaints_complaint.id IN (SELECT complaint_id FROM language_searchdocument"
                " WHERE search_vector @@ to_tsquery('simple', %s) OFFSET 0)"
            ],
            params=[tsquery],
        )
    # The function form of @@ cannot use the GIN index: each walked case's document is checked.
    return base.extra(
        where=[
            "EXISTS (SELECT 1 FROM language_searchdocument WHERE"
            " language_searchdocument.complaint_id = complaints_complaint.id AND"
            " ts_match_vq(language_searchdocument.search_vector, to_tsquery('simple', %s)))"
        ],
        params=[tsquery],
    )


def last_case_id() -> int:
    """The highest case id handed out. On PostgreSQL it is read from the id sequence: MAX(id)
    walks the primary key backwards past rows that other transactions have inserted but not
    committed (50 ms during a 100,000-row import)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, 'id'))",
                [Complaint._meta.db_table],
            )
            row = cursor.fetchone()
        if row and row[0] is not None:
            return int(row[0])
    return Complaint._base_manager.aggregate(top=Max("pk"))["top"] or 0


def _highest_id_below(start: int) -> int | None:
    """The highest case id below `start` (one step back along the primary key)."""
    top: int | None = Complaint._base_manager.filter(pk__lt=start).aggregate(top=Max("pk"))["top"]
    return top


def _received_after(before_id: int, moment: Any) -> bool:
    """Whether any case with an id below `before_id` was received after `moment`: a case
    registered early but received later than the matches found (its received time corrected,
    say), which a window of newer ids would miss. Read through the received-time index only
    (`id + 0` keeps the planner off the primary key, which would walk every older case)."""
    later = Complaint._base_manager.filter(received_at__gt=moment)
    return later.extra(where=["complaints_complaint.id + 0 < %s"], params=[before_id]).exists()


# The connections (`settings.DATABASE_URL`) that already plan every statement for its values:
# most do, by the startup option or the role's setting, and then a search sets nothing for that.
_CUSTOM_PLANS: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _plans_for_values() -> bool:
    """Whether this connection's session plans each run of a prepared statement for its
    values (`plan_cache_mode = force_custom_plan`), asked once per database connection."""
    connection.ensure_connection()
    raw = connection.connection
    known = _CUSTOM_PLANS.get(raw)
    if known is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('plan_cache_mode')")
            row = cursor.fetchone()
        known = _CUSTOM_PLANS[raw] = bool(row) and row[0] == "force_custom_plan"
    return known


@contextmanager
def _planned(*, bitmaps: bool = False) -> Iterator[None]:
    """PostgreSQL: the statements inside are planned for their own words, every time
    (`plan_cache_mode = force_custom_plan`): the connections prepare repeated statements
    (settings.DB_PREPARE_THRESHOLD), and after five runs PostgreSQL may keep a generic plan
    that cannot know how many documents hold the word (measured at 300,000 cases: 年费 by the
    index plan 160 ms planned for the word, 4.1 s by the generic plan). The connections are
    opened in that mode (settings.py); one that is not is put in it for the statements inside.

    `bitmaps`: without plain index scans, so that a window's documents are found by
    intersecting the GIN index's bitmap with the primary key's (BitmapAnd). Left to itself the
    planner walks the window's ids and tests each document, because it does not count reading
    the tsvector out of TOAST: 650 ms instead of 18 ms for a window of 50,000 ids at 300,000
    cases.

    The settings are the session's, changed in one statement and put back to the values the
    session started with by one RESET each (reading those values from pg_settings took 0.5 ms a
    window), with no transaction of their own (a search is a handful of statements: the four a
    transaction and its savepoint-free settings took were a fifth of them). If a statement
    inside fails within a transaction, that transaction's rollback puts them back instead."""
    if connection.vendor != "postgresql":
        yield
        return
    names = ["enable_indexscan"] if bitmaps else []
    if not _plans_for_values():
        names.append("plan_cache_mode")
    if not names:
        yield
        return
    values = {"enable_indexscan": "off", "plan_cache_mode": "force_custom_plan"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, false)" for _ in names),
            [v for name in names for v in (name, values[name])],
        )
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                for name in names:  # a name from the two above, never the caller's
                    cursor.execute(f"RESET {name}")
        except DatabaseError:
            if not connection.in_atomic_block:
                raise
            # The enclosing transaction failed: its rollback undoes the settings too.


def _windowed_matches(
    base: QuerySet[Complaint], terms: Sequence[QueryTerm], any_term: bool, limit: int
) -> list[int]:
    """The WINDOWS plan: the newest `limit` matches, read from the inverted index one window of
    case ids at a time, newest ids first, until the window's matches are known to be the newest
    received.

    The index's match list is intersected with the window's ids before any row is visited, so a
    word held by 5% of a million documents costs the rows of one window, not 50,000 visits.
    Cases are received roughly in id order, but not exactly (an old ledger imported last, a
    corrected received time): the matches of ids >= start are taken in received order, and the
    search stops only when no older id was received after the last of them; otherwise it widens.
    The first window is sized from the words' estimated share, the next ones from the matches
    actually met per id (the branch scope and the filters thin them out)."""
    end = last_case_id() + 1
    found = frequencies()
    share = _match_share(terms, any_term, found)
    width = max(WINDOW_MIN, int(WINDOW_SLACK * limit / max(share, 1e-9)))
    newest: list[tuple[Any, int]] = []
    covered = 0
    while True:
        start = max(0, end - width)
        window = _matching(base, terms, any_term, WINDOWS, id_range=(start, end))
        with _planned(bitmaps=True):
            rows = list(
                window.order_by("-received_at", "-pk").values_list("received_at", "pk")[:limit]
            )
        newest = sorted([*newest, *rows], reverse=True)[:limit]
        covered += end - start
        if start == 0:
            break
        if len(newest) == limit and not _received_after(start, newest[-1][0]):
            break
        if not rows:
            # Ids that no case holds (a rolled-back import, cases deleted by retention) would
            # otherwise be widened over, window after window, until a window reached far
            # past them: the next window starts at the highest id below this one.
            below = _highest_id_below(start)
            if below is None:
                break
            if below < start - 1:
                end = below + 1
                continue
        # Enough ids to hold the missing matches at the density met so far, within bounds.
        density = len(newest) / covered
        wanted = WINDOW_SLACK * (limit - len(newest)) / density if density else math.inf
        end, width = start, int(min(max(wanted, 2 * width), WINDOW_GROWTH * width))
    return [pk for _, pk in newest]


def _newest_matches(
    base: QuerySet[Complaint], terms: Sequence[QueryTerm], any_term: bool, plan: str | None = None
) -> list[int]:
    """The ids of up to COUNT_CAP + 1 most recently received cases of `base` matching `terms`
    (received time, not registration order: an imported old ledger is not "newest"): the first
    CANDIDATES are ranked, and their number is the count shown."""
    plan = plan or choose_plan(terms, any_term)
    limit = max(COUNT_CAP, CANDIDATES) + 1
    if plan == WINDOWS:
        return _windowed_matches(base, terms, any_term, limit)
    newest = _matching(base, terms, any_term, plan).order_by("-received_at", "-pk")
    with _planned():
        return list(newest.values_list("pk", flat=True)[:limit])


def _identifier(query: str) -> str:
    text = unicodedata.normalize("NFKC", query).strip()
    return text if _IDENTIFIER.fullmatch(text) else ""


def by_number(base: QuerySet[Complaint], identifier: str) -> QuerySet[Complaint]:
    """The cases of `base` whose registry or referral number is `identifier`, in any case.
    Registry numbers are written in upper case; referral numbers as the referrer wrote them, and
    an index on their upper case serves the case-blind comparison."""
    return base.filter(Q(registry_no=identifier.upper()) | Q(external_ref__iexact=identifier))


def _hits(
    user: Any, ranking: Sequence[tuple[int, float]], tokens: list[str], *, exact: bool = False
) -> list[SearchHit]:
    """The page's hits: only the columns the hit list shows (number, status, unit, received
    time), still through the branch scope, and the stored text for the title and snippet."""
    ids = [pk for pk, _ in ranking]
    loaded = (
        visible_to(user, Complaint.objects.all())
        .select_related("unit")
        .only(*HIT_COLUMNS)
        .in_bulk(ids)
    )
    rows = [(loaded[pk], float(score)) for pk, score in ranking if pk in loaded]
    documents = SearchDocument.objects.only("title", "body").in_bulk([c.pk for c, _ in rows])
    hits = []
    for complaint, score in rows:
        document = documents.get(complaint.pk)
        title = document.title if document else complaint.title
        body = document.body if document else complaint.narrative
        hits.append(
            SearchHit(
                complaint=complaint,
                score=score,
                title_html=highlight(title, tokens),
                snippet_html=snippet(body, tokens),
                exact=exact,
            )
        )
    return hits


def search_complaints(
    *,
    user: Any,
    query: str,
    filters: Mapping[str, Any] | None = None,
    limit: int = DEFAULT_LIMIT,
    page: int = 1,
) -> SearchResults:
    """Cases in `user`'s scope matching `query` (and the registry `filters`), best first, one
    page of `limit` at a time.

    A query that is a case's registry number or a referral's reference number finds exactly
    that case (those cases) and nothing else. Otherwise the words must all match (a stretch the
    dictionary does not know must match as a phrase: `segment.query_terms`); if no case has
    them all, any word of two or more characters may match (the page says so).

    `filters` takes the registry's filter parameters (status, business_category, unit, received_from
    …, as in a query string). Do not pass the search words as the registry's own `q` filter.
    """
    terms = query_terms(query)[:MAX_QUERY_TOKENS]
    limit = max(1, min(limit, MAX_LIMIT))
    results = SearchResults(
        query=query, tokens=[term_text(t) for t in terms], per_page=limit, page=max(1, page)
    )
    results.filterset = registry_filterset(filters, complaint_list(user=user))
    base = results.filterset.qs
    identifier = _identifier(query)
    if identifier:
        exact = list(
            by_number(base, identifier)
            .order_by("-received_at", "-pk")
            .values_list("pk", flat=True)[:MAX_LIMIT]
        )
        if exact:
            results.exact = True
            results.total = len(exact)
            results.tokens = [identifier]
            results.hits = _hits(user, [(pk, 1.0) for pk in exact], [], exact=True)
            return results
        # Not a number we know: its pieces must stand together (never 2026 here, 0456 there).
        terms = [tuple(t for term in terms for t in term)]
    if not terms:
        return results
    ranking: list[tuple[int, float]] = []
    # Any-word fallback: single Chinese characters (的, 了, 不 …) would match nearly everything.
    loose = loose_terms(terms) or terms
    for any_term, chosen in ((False, terms), (True, loose)):
        if any_term and len(chosen) == 1 and chosen == terms:
            break
        # The newest matches first (no scoring), then rank narrow rows (id, score) of those
        # only; the page's columns are loaded for the winners.
        newest = _newest_matches(base, chosen, any_term)
        if not newest:
            continue
        candidates = newest[:CANDIDATES]
        pool = Complaint.objects.filter(pk__in=candidates)
        bounds = (min(candidates), max(candidates))
        qs = ranked(pool, chosen, any_term=any_term, id_range=bounds, matched=True).order_by(
            "-search_rank", "-received_at", "-id"
        )
        columns = qs.values_list("pk", "search_rank")  # type: ignore[misc]  # an extra() column
        with _planned():
            ranking = list(columns)
        results.all_terms = not any_term
        results.tokens = [term_text(t) for t in chosen]
        results.truncated = len(newest) > CANDIDATES
        results.total = min(len(newest), COUNT_CAP)
        results.total_capped = len(newest) > COUNT_CAP
        break
    results.pages = max(1, math.ceil(len(ranking) / limit))
    results.page = min(results.page, results.pages)
    start = (results.page - 1) * limit
    results.hits = _hits(user, ranking[start : start + limit], results.tokens)
    return results
