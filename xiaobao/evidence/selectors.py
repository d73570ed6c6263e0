"""Reads of evidence: a record's files, and files re-used from another record."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from xiaobao.evidence.models import EvidenceFile

# Two photos whose 64-bit perceptual hashes differ in at most this many bits look the same.
NEAR_DUPLICATE_BITS = 6


def evidence_for(target: models.Model) -> models.QuerySet[EvidenceFile]:
    return EvidenceFile.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=target.pk
    ).select_related("uploaded_by")


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def reused_elsewhere(files: Iterable[EvidenceFile]) -> dict[int, list[EvidenceFile]]:
    """For each file, the files of OTHER records that are the same file (SHA-256) or a
    near-identical photo (perceptual hash): a photo recycled from another activity is flagged."""
    files = list(files)
    if not files:
        return {}
    digests = {f.sha256 for f in files}
    hashed = [f for f in files if f.phash]
    same = EvidenceFile.objects.filter(
        Q(sha256__in=digests) | Q(phash__in={f.phash for f in hashed})
    )
    candidates = list(same.select_related("content_type"))
    if hashed:
        # Near matches need a bit count: compare against every photo hash (thousands, not millions).
        seen = {c.pk for c in candidates}
        for other in (
            EvidenceFile.objects.exclude(phash="")
            .exclude(pk__in=seen)
            .only("pk", "phash", "content_type", "object_id", "original_name", "unit")
        ):
            if any(_distance(f.phash, other.phash) <= NEAR_DUPLICATE_BITS for f in hashed):
                candidates.append(other)
    found: dict[int, list[EvidenceFile]] = defaultdict(list)
    for f in files:
        for other in candidates:
            if other.target_key() == f.target_key():
                continue
            if other.sha256 == f.sha256 or (
                f.phash and other.phash and _distance(f.phash, other.phash) <= NEAR_DUPLICATE_BITS
            ):
                found[f.pk].append(other)
    return dict(found)
