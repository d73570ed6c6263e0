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

A query is cut precisely (`segment.tokens_for_query`); all its words must match. If nothing
matches all of them, any word may match (the page says so). The full-text condition is joined to
the ordinary registry queryset, so the branch scope (`visible_to`) and the registry filters
(`RegistryFilter`) apply in the same SQL statement, and the database plans the join from the
full-text side (selective) to the complaint rows by primary key. Snippets and highlighting are
made in Python from the stored (redacted) original text (`highlight.py`).

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

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Max, QuerySet
from django.utils.safestring import SafeString

from xiaobao.complaints.filters import RegistryFilter
from xiaobao.complaints.models import Complaint
from xiaobao.complaints.selectors import complaint_list
from xiaobao.language.highlight import highlight, snippet
from xiaobao.language.models import SearchDocument
from xiaobao.language.segment import has_cjk, tokens_for_query
from xiaobao.lib.errors import DomainError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# A common word (信用卡) matches a third of a large registry; scoring every match would take
# seconds. The newest CANDIDATES matches (by case id, i.e. registration order) are taken first
# (cheap on both engines: the id order is the index's own) and only those are ranked.
CANDIDATES = 200
# PostgreSQL's GIN index returns every match in no useful order, and each one costs a heap visit;
# the newest matches are therefore looked for in id windows, newest first, each WINDOW_GROWTH
# times wider than the last (a common word fills its quota in the first window).
FIRST_WINDOW = 50_000
WINDOW_GROWTH = 8
MAX_QUERY_TOKENS = 32
TITLE_WEIGHT = 3.0


@dataclass
class SearchHit:
    """One ranked case with its highlighted title and snippet (HTML-safe)."""

    complaint: Complaint
    score: float
    title_html: SafeString
    snippet_html: SafeString


@dataclass
class SearchResults:
    """Ranked hits; `all_terms` is False when no case had every word and any word was enough."""

    query: str
    tokens: list[str]
    hits: list[SearchHit] = field(default_factory=list)
    all_terms: bool = True
    # More cases matched than were ranked: the hits are the best of the newest CANDIDATES.
    truncated: bool = False

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise DomainError(f"全文检索暂不支持 {vendor} 数据库。", code="search_unsupported")
    return vendor


def _fts5_query(tokens: Sequence[str], any_term: bool) -> str:
    # Tokens are letters and digits only (segment._clean); quoting makes each a plain string.
    quoted = [f'"{t}"' for t in tokens]
    return (" OR " if any_term else " ").join(quoted)


def _tsquery(tokens: Sequence[str], any_term: bool) -> str:
    quoted = ["'" + t.replace("'", "''").replace("\\", "\\\\") + "'" for t in tokens]
    return (" | " if any_term else " & ").join(quoted)


def ranked(
    queryset: QuerySet[Complaint],
    tokens: Sequence[str],
    *,
    any_term: bool = False,
    score: bool = True,
    id_range: tuple[int, int] | None = None,
) -> QuerySet[Complaint]:
    """`queryset` restricted to full-text matches of `tokens`, annotated with `search_rank`
    (unless `score` is False: matching only). `id_range` bounds the case ids on the full-text
    side too, so SQLite's FTS5 reads only that stretch of its doclists.

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
    return queryset.extra(
        select={"search_rank": rank} if score else None,
        select_params=[tsquery] if score else None,
        tables=["language_searchdocument"],
        where=[
            "language_searchdocument.complaint_id = complaints_complaint.id",
            "language_searchdocument.search_vector @@ to_tsquery('simple', %s)",
        ],
        params=[tsquery],
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
        raise DomainError(f"筛选条件有误：{problems}", code="invalid_filter")
    return filterset


def _last_case_id() -> int:
    """The highest case id handed out, from the id sequence: MAX(id) walks the primary key
    backwards past rows other transactions have inserted but not committed (an import of
    100,000 rows in progress made it 50 ms)."""
    table = Complaint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, 'id'))", [table])
        row = cursor.fetchone()
    if row and row[0] is not None:
        return int(row[0])
    return Complaint.objects.aggregate(top=Max("pk"))["top"] or 0  # sequence never used


def _newest_matches(base: QuerySet[Complaint], words: Sequence[str], any_term: bool) -> list[int]:
    """The ids of the newest CANDIDATES cases of `base` matching `words`, newest first."""
    newest = ranked(base, words, any_term=any_term, score=False)
    if connection.vendor == "sqlite":
        # FTS5 walks its doclists backwards by rowid (= case id) when asked for exactly that.
        newest = newest.order_by().extra(order_by=["-language_search_fts.rowid"])
        return list(newest.values_list("pk", flat=True)[:CANDIDATES])
    found: list[int] = []
    end = _last_case_id() + 1
    width = FIRST_WINDOW
    while end > 0 and len(found) < CANDIDATES:
        start = max(0, end - width)
        window = newest.filter(pk__gte=start, pk__lt=end).extra(
            where=[
                "language_searchdocument.complaint_id >= %s",
                "language_searchdocument.complaint_id < %s",
            ],
            params=[start, end],
        )
        found += window.order_by("-pk").values_list("pk", flat=True)[: CANDIDATES - len(found)]
        end, width = start, width * WINDOW_GROWTH
    return found


def search_complaints(
    *,
    user: Any,
    query: str,
    filters: Mapping[str, Any] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> SearchResults:
    """Cases in `user`'s scope matching `query` (and the registry `filters`), best first.

    `filters` takes the registry's filter parameters (status, business_category, unit, received_from
    …, as in a query string). Do not pass the search words as the registry's own `q` filter.
    """
    tokens = tokens_for_query(query)[:MAX_QUERY_TOKENS]
    results = SearchResults(query=query, tokens=tokens)
    if not tokens:
        return results
    limit = max(1, min(limit, MAX_LIMIT))
    base = registry_filterset(filters, complaint_list(user=user)).qs
    ranking: list[tuple[int, float]] = []
    # Any-word fallback: single Chinese characters (的, 了, 不 …) would match nearly everything.
    loose = [t for t in tokens if len(t) > 1 or not has_cjk(t)] or tokens
    for any_term, words in ((False, tokens), (True, loose)):
        if any_term and len(words) == 1 and words == tokens:
            break
        # The newest matches first (no scoring), then rank narrow rows (id, score) of those
        # only; the page's columns are loaded for the winners.
        candidates = _newest_matches(base, words, any_term)
        if not candidates:
            continue
        pool = Complaint.objects.filter(pk__in=candidates)
        bounds = (min(candidates), max(candidates))
        qs = ranked(pool, words, any_term=any_term, id_range=bounds).order_by(
            "-search_rank", "-received_at", "-id"
        )
        columns = qs.values_list("pk", "search_rank")  # type: ignore[misc]  # an extra() column
        ranking = list(columns[:limit])
        results.all_terms = not any_term
        results.tokens = list(words)
        results.truncated = len(candidates) == CANDIDATES
        break
    loaded = complaint_list(user=user).in_bulk([pk for pk, _ in ranking])
    rows = [(loaded[pk], float(score)) for pk, score in ranking if pk in loaded]
    documents = SearchDocument.objects.in_bulk([c.pk for c, _ in rows])
    for complaint, score in rows:
        document = documents.get(complaint.pk)
        title = document.title if document else complaint.title
        body = document.body if document else complaint.narrative
        results.hits.append(
            SearchHit(
                complaint=complaint,
                score=score,
                title_html=highlight(title, results.tokens),
                snippet_html=snippet(body, results.tokens),
            )
        )
    return results
