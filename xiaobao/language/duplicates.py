"""Duplicates and repeats: the same complainant again, or the same story told twice.

At registration, `find_duplicates` looks for
* open cases of the same complainant, by the keyed hashes of the ID number and the phone number
  (never by decrypting anything), and
* cases from the recent past in the unit's subtree whose title and narrative are nearly the same
  text (the counter and the 12345 hotline both passing on one complaint), whatever their status.
Candidate texts come from the full-text index (an any-word query on the new text's most specific
words) plus the newest cases not yet indexed; each is then compared exactly on character
shingles. Everything is read through the branch scope: a handler is never told about a case they
may not see.

`cluster_texts` groups a batch of texts (new complaints for the early warning, or a file for the
`find_duplicates` command) by MinHash with locality-sensitive hashing, so the work grows with the
number of texts, not with its square; candidate pairs are confirmed by their exact similarity.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from django.utils.translation import gettext_lazy as _

from xiaobao.complaints.choices import OPEN_STATUSES, Kind
from xiaobao.complaints.models import Complainant, Complaint
from xiaobao.complaints.selectors import complaint_list
from xiaobao.complaints.transitions import allowed_actions
from xiaobao.language.search import ranked
from xiaobao.language.segment import has_cjk, normalise, tokens_for_query
from xiaobao.lib.clock import now
from xiaobao.organisation.models import Unit
from xiaobao.privacy.crypto import blind_index

SIMILAR_TEXT = 0.5  # Jaccard similarity of shingles above which two texts tell the same story
CONTAINED = 0.85  # …or the share of the shorter text's shingles found in the longer one
# A text of at least this many shingles (about ten characters) found almost whole inside a longer
# one is the same story (a referral that wraps the original complaint in its own words).
MIN_SHINGLES_FOR_CONTAINMENT = 8
# Shared facts (amount, date, card tail, product, outlet) lift a reworded story over the line:
# each adds FACT_WEIGHT to the text similarity, if the texts share at least MIN_TEXT_WITH_FACTS.
FACT_WEIGHT = 0.12
MIN_TEXT_WITH_FACTS = 0.2
MIN_SHARED_FACTS = 2
TEXT_CANDIDATES = 200
UNINDEXED_CANDIDATES = 500
QUERY_WORDS = 16

REASONS = {
    "same_id_number": _("同一证件号码的未办结投诉"),
    "same_phone": _("同一联系电话的未办结投诉"),
    "similar_text": _("近期内容高度相似的投诉"),
    "shared_facts": _("近期内容相近且关键事实相同的投诉"),
}
FACT_LABELS = {
    "amount": _("金额"),
    "date": _("日期"),
    "card": _("卡号尾号"),
    "product": _("业务类别"),
    "outlet": _("网点/机构"),
}
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万)?\s*(?:元|块|rmb)", re.IGNORECASE)
_DATE = re.compile(r"(?:(\d{4})\s*[年\-/.])?\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*[日号]?")
_CARD_TAIL = re.compile(r"(?:尾号|末四位|后四位|尾数)\D{0,3}(\d{4})")
_SCORES = {"same_id_number": 1.0, "same_phone": 0.9}
_TEXT = re.compile(r"[^\W_]+")


# --- similarity ----------------------------------------------------------------------------------


def shingles(text: str) -> frozenset[str]:
    """Overlapping character 3-grams (5-grams for text that is not Chinese), spaces ignored."""
    compact = "".join(_TEXT.findall(normalise(text)))
    k = 3 if has_cjk(compact) else 5
    if len(compact) <= k:
        return frozenset([compact]) if compact else frozenset()
    return frozenset(compact[i : i + k] for i in range(len(compact) - k + 1))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity, or the containment of the shorter text when that is high (a referral
    that wraps the original story in a header is still the same story)."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    jaccard = common / len(a | b)
    smaller = min(len(a), len(b))
    if smaller >= MIN_SHINGLES_FOR_CONTAINMENT and common / smaller >= CONTAINED:
        return max(jaccard, common / smaller)
    return jaccard


# --- shared facts --------------------------------------------------------------------------------


def text_facts(text: str) -> dict[str, set[str]]:
    """Amounts (in yuan), dates (month-day) and card tails written in a text."""
    folded = normalise(text)
    amounts = set()
    for number, wan in _AMOUNT.findall(folded):
        value = float(number) * (10_000 if wan else 1)
        amounts.add(f"{value:.2f}")
    dates = {
        f"{int(m):02d}-{int(d):02d}"
        for _y, m, d in _DATE.findall(folded)
        if 1 <= int(m) <= 12 and 1 <= int(d) <= 31
    }
    return {"amount": amounts, "date": dates, "card": set(_CARD_TAIL.findall(folded))}


def shared_facts(
    mine: dict[str, set[str]],
    complaint: Complaint,
    *,
    amount: Any = None,
    business_category: Any = None,
    unit: Unit | None = None,
) -> list[str]:
    """Which facts of the case being registered the candidate shares, in FACT_LABELS order."""
    theirs = text_facts(f"{complaint.title}\n{complaint.narrative}")
    my_amounts = set(mine["amount"])
    if amount is not None:
        my_amounts.add(f"{float(amount):.2f}")
    if complaint.amount is not None:
        theirs["amount"].add(f"{float(complaint.amount):.2f}")
    shared = []
    if my_amounts & theirs["amount"]:
        shared.append("amount")
    if mine["date"] & theirs["date"]:
        shared.append("date")
    if mine["card"] & theirs["card"]:
        shared.append("card")
    if business_category is not None and complaint.business_category_id == business_category.pk:
        shared.append("product")
    if unit is not None and complaint.unit_id == unit.pk:
        shared.append("outlet")
    return shared


# --- registration-time check ---------------------------------------------------------------------


@dataclass
class DuplicateCandidate:
    """A case that may be the same matter, why we think so, and how sure (0–1)."""

    complaint: Complaint
    reasons: list[str] = field(default_factory=list)
    score: float = 0.0
    text_similarity: float | None = None
    facts: list[str] = field(default_factory=list)  # keys of FACT_LABELS shared with the new case

    @property
    def reason_labels(self) -> list[str]:
        labels = [str(REASONS[r]) for r in self.reasons]
        if self.facts:
            labels.append("、".join(str(FACT_LABELS[f]) for f in self.facts) + str(_("相同")))
        return labels

    @property
    def can_merge(self) -> bool:
        """Whether a new complaint could be merged into this one (the case page's merge action):
        a complaint, not a review case, still live (a decided case no longer takes merges)."""
        return self.complaint.kind == Kind.COMPLAINT and "merge_target" in allowed_actions(
            self.complaint.status
        )


def _add(
    found: dict[int, DuplicateCandidate], complaint: Complaint, reason: str, score: float
) -> DuplicateCandidate:
    candidate = found.setdefault(complaint.pk, DuplicateCandidate(complaint))
    if reason not in candidate.reasons:
        candidate.reasons.append(reason)
    candidate.score = max(candidate.score, score)
    return candidate


def _query_words(text: str) -> list[str]:
    """The new text's most specific words (longest first) for the any-word candidate query."""
    candidates = [w for w in tokens_for_query(text) if len(w) >= 2 and not w.isdigit()]
    return sorted(candidates, key=len, reverse=True)[:QUERY_WORDS]


def find_duplicates(
    *,
    user: Any,
    title: str,
    narrative: str,
    id_number: str = "",
    phone: str = "",
    unit: Unit | None = None,
    days: int = 90,
    exclude: int | None = None,
    limit: int = 10,
    amount: Any = None,
    business_category: Any = None,
) -> list[DuplicateCandidate]:
    """Possible duplicates of a complaint being registered, most likely first.

    `unit` is the unit the new case is for (default: the user's own); text matches are looked for
    in its subtree among cases received in the last `days` days. `exclude` is the new case's own
    id when it has already been saved. A text that shares only part of the story is still
    flagged when the cases share facts (`shared_facts`: the amount, a date, a card tail, the
    product `business_category`, the outlet `unit`): a light rewording of the same incident.
    """
    visible = complaint_list(user=user)
    if exclude is not None:
        visible = visible.exclude(pk=exclude)
    found: dict[int, DuplicateCandidate] = {}

    open_cases = visible.filter(status__in=OPEN_STATUSES)
    for reason, value, kind, column in (
        ("same_id_number", id_number, "id_number", "id_number_hash"),
        ("same_phone", phone, "phone", "phone_hash"),
    ):
        digest = blind_index(value, kind=kind) if value else ""
        if digest:
            # The person's cases as an id subquery: no join to de-duplicate (DISTINCT over the
            # eight joined tables cost more to plan than to run at a million cases).
            theirs = Complainant.objects.filter(**{column: digest}).values("complaint_id")
            for complaint in open_cases.filter(pk__in=theirs)[:limit]:
                _add(found, complaint, reason, _SCORES[reason])

    text = f"{title}\n{narrative}"
    mine = shingles(text)
    if mine:
        scope_unit = unit or getattr(user, "unit", None)
        recent = visible.filter(received_at__gte=now() - timedelta(days=days))
        if scope_unit is not None:
            recent = recent.filter(unit__path__startswith=scope_unit.path)
        ids: set[int] = set()
        query_words = _query_words(text)
        if query_words:
            hits = ranked(recent, query_words, any_term=True).order_by("-search_rank")
            ids.update(hits.values_list("pk", flat=True)[:TEXT_CANDIDATES])
        unindexed = recent.filter(search_document__isnull=True).order_by("-received_at")
        ids.update(unindexed.values_list("pk", flat=True)[:UNINDEXED_CANDIDATES])
        my_facts = text_facts(text)
        for complaint in recent.filter(pk__in=ids):
            score = similarity(mine, shingles(f"{complaint.title}\n{complaint.narrative}"))
            facts = []
            if score >= MIN_TEXT_WITH_FACTS:
                facts = shared_facts(
                    my_facts,
                    complaint,
                    amount=amount,
                    business_category=business_category,
                    unit=unit,
                )
            if score >= SIMILAR_TEXT:
                candidate = _add(found, complaint, "similar_text", score)
            elif (
                len(facts) >= MIN_SHARED_FACTS and score + FACT_WEIGHT * len(facts) >= SIMILAR_TEXT
            ):
                candidate = _add(
                    found, complaint, "shared_facts", min(1.0, score + FACT_WEIGHT * len(facts))
                )
            else:
                continue
            candidate.text_similarity = round(score, 3)
            candidate.facts = facts

    ordered = sorted(found.values(), key=lambda c: (-c.score, -c.complaint.received_at.timestamp()))
    return ordered[:limit]


# --- batch clustering ----------------------------------------------------------------------------

_PRIME = (1 << 31) - 1
_PERMUTATIONS = 120
_ROWS_PER_BAND = 3  # 40 bands of 3: pairs at 0.5 similarity collide with probability > 0.99
_rng = np.random.default_rng(20260115)
_A = _rng.integers(1, _PRIME, _PERMUTATIONS, dtype=np.int64)
_B = _rng.integers(0, _PRIME, _PERMUTATIONS, dtype=np.int64)


def _signature(items: frozenset[str]) -> np.ndarray:
    hashes = np.fromiter(
        (zlib.crc32(s.encode("utf-8")) % _PRIME for s in items), dtype=np.int64, count=len(items)
    )
    # (a·x + b) mod p with x, a < 2^31 stays below 2^62: no overflow in int64.
    return np.asarray(((hashes[:, None] * _A[None, :] + _B[None, :]) % _PRIME).min(axis=0))


def cluster_texts(
    items: Sequence[tuple[Hashable, str]], *, threshold: float = SIMILAR_TEXT
) -> list[list[Hashable]]:
    """Groups (of two or more ids) whose texts are near-duplicates, directly or through a chain.

    Groups are ordered by their first member's position in `items`, members likewise.
    """
    sets = [shingles(text) for _, text in items]
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        if not s:
            continue
        signature = _signature(s)
        for band in range(_PERMUTATIONS // _ROWS_PER_BAND):
            key = signature[band * _ROWS_PER_BAND : (band + 1) * _ROWS_PER_BAND].tobytes()
            buckets[(band, key)].append(i)

    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    checked: set[tuple[int, int]] = set()
    for members in buckets.values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if (i, j) in checked or root(i) == root(j):
                    continue
                checked.add((i, j))
                if similarity(sets[i], sets[j]) >= threshold:
                    ri, rj = root(i), root(j)
                    parent[max(ri, rj)] = min(ri, rj)

    # MinHash estimates Jaccard similarity, which is low for a short text inside a long one:
    # look for containment through the shingles themselves (common shingles skipped).
    postings: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for shingle in s:
            postings[shingle].append(i)
    common = max(50, len(items) // 20)
    for i, s in enumerate(sets):
        if len(s) < MIN_SHINGLES_FOR_CONTAINMENT:
            continue
        shared: dict[int, int] = defaultdict(int)
        for shingle in s:
            members = postings[shingle]
            if len(members) <= common:
                for j in members:
                    if j != i and len(sets[j]) >= len(s):
                        shared[j] += 1
        for j, count in shared.items():
            if (
                count >= CONTAINED * len(s)
                and root(i) != root(j)
                and similarity(sets[i], sets[j]) >= threshold
            ):
                ri, rj = root(i), root(j)
                parent[max(ri, rj)] = min(ri, rj)

    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        groups[root(i)].append(i)
    return [
        [items[i][0] for i in members] for _, members in sorted(groups.items()) if len(members) > 1
    ]
