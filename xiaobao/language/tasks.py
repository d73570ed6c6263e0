"""Background jobs of the language app (registered with xiaobao.jobs)."""

from __future__ import annotations

from typing import Any

from xiaobao.jobs.registry import job
from xiaobao.language.classifier import classifier_train_all
from xiaobao.language.services import search_document_update, search_documents_update


@job("language.index_complaint")
def index_complaint(payload: dict[str, Any]) -> dict[str, Any]:
    """Payload {"complaint_id": id}: (re)build that case's search document; or
    {"complaint_ids": [...]} (the cases of one bulk import chunk): theirs, with one upsert."""
    if "complaint_ids" in payload:
        return {"indexed": search_documents_update([int(i) for i in payload["complaint_ids"]])}
    document = search_document_update(complaint_id=int(payload["complaint_id"]))
    return {"indexed": int(document is not None)}


@job("language.train_classifiers")
def train_classifiers(payload: dict[str, Any]) -> dict[str, Any]:
    """Payload {"targets": [...]} (optional): train and maybe activate new classifier versions."""
    results = classifier_train_all(targets=payload.get("targets"))
    return {"results": [r.as_dict() for r in results]}
