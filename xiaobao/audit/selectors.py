"""Reads of the history tables."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from xiaobao.audit.models import RecordEvent


def timeline(obj: models.Model) -> models.QuerySet[RecordEvent]:
    """Every event of one record, oldest first (the record's page shows it; scope is the page's)."""
    return RecordEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")
