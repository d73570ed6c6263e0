"""Classification and duplicates (issue 9), through the product's own functions.

* `classify-train`: `classifier_train(target=…)`, what `manage.py classifier_train` runs for each
  target: it reads every closed, classified case, fits a candidate on four fifths, scores it on
  the held-out fifth and, with no better active version, fits again on all and stores the model.
  One target per process, so each has its own time bound and peak RSS.
* `classify-predict`: the stored models on new texts: in one batch, one text at a time, and
  `suggest()` one text at a time (what the case page and the registration form's helper call).
* `classify-cleanup`: removes the versions this run stored, so the database stays as generated.
* `duplicates`: `find_duplicates` (the registration form's live check while the handler types,
  and the register view's merge offer after saving) and `duplicates_for` (the register view's
  check on submit) for new texts, a quarter of which retell a recent case (with the same phone
  number for half of those).
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any

from bench.measure import summary

FALLBACK_TRAINING_CASES = 20_000
# Training holds every labelled text and its n-gram counts at once, so on a large registry it can
# outgrow the machine: the training process gets an address-space limit of this share of the RAM,
# and fails with MemoryError (reported) instead of calling the kernel's OOM killer on the host.
MEMORY_SHARE = 0.7


def limit_memory(share: float = MEMORY_SHARE) -> float | None:
    """Cap this process's address space at `share` of physical memory; returns the cap in GiB."""
    import os
    import resource

    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None
    cap = int(total * share)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return cap / 2**30


def _training_cap() -> dict[str, Any]:
    """Any constant of the classifier module that bounds the training set, by its name."""
    from xiaobao.language import classifier

    return {
        name: value
        for name, value in vars(classifier).items()
        if name.isupper()
        and isinstance(value, int)
        and any(w in name for w in ("TRAIN", "SAMPLE", "CASES"))
        and name.startswith("MAX")
    }


def labelled_count(target: str) -> int:
    """Closed complaints with a code on `target`, counted independently of the training code."""
    from xiaobao.complaints.choices import Kind, Status
    from xiaobao.complaints.models import Complaint
    from xiaobao.language.choices import Target
    from xiaobao.language.classifier import FIELD_FOR_TARGET

    qs = Complaint.objects.filter(kind=Kind.COMPLAINT, status=Status.CLOSED)
    field = FIELD_FOR_TARGET[Target(target)]
    if target == Target.DEMAND:
        return qs.filter(demands__isnull=False).distinct().count()
    return qs.filter(**{f"{field}__isnull": False}).count()


def task_train(url: str, target: str) -> dict[str, Any]:
    try:
        from xiaobao.language.classifier import classifier_train
    except ImportError as exc:
        return {"available": False, "why": f"no classifier ({exc})"}
    from xiaobao.language.choices import ModelStatus
    from xiaobao.language.models import ClassifierModel

    cap_gib = limit_memory()
    labelled = labelled_count(target)
    active_before = (
        ClassifierModel.objects.filter(target=target, status=ModelStatus.ACTIVE)
        .values_list("version", flat=True)
        .first()
    )
    t = time.perf_counter()
    result = classifier_train(target=target)
    wall = time.perf_counter() - t
    metrics = result.metrics or {}
    used = (metrics.get("n_train") or 0) + (metrics.get("n_holdout") or 0)
    blob = len(result.model.blob or b"") if result.model is not None else 0
    return {
        "available": True,
        "target": target,
        "labelled_cases": labelled,
        "cases_used": used,
        "capped": bool(used and used < labelled),
        "cap_constants": _training_cap(),
        "active_before": active_before,
        "outcome": result.outcome,
        "message": result.message,
        "metrics": metrics,
        "model_bytes": blob,
        "memory_limit_gib": cap_gib,
        "wall_s": wall,
        "cases_per_s": used / wall if used and wall else None,
    }


# --- prediction ----------------------------------------------------------------------------------


def _new_texts(n: int, seed: int) -> list[tuple[str, str]]:
    from bench.inproc import intake_inputs

    return [(item["title"], item["narrative"]) for item in intake_inputs(n, seed)]


def _fallback_model(target: str) -> tuple[Any, int]:
    """A model fitted by the product's `fit` on the newest FALLBACK_TRAINING_CASES labelled cases
    (prepared as the product prepares them), for when no trained version exists because training
    failed or ran out of time. Only category and cause (one code a case) need it here."""
    from xiaobao.complaints.choices import Kind, Status
    from xiaobao.complaints.models import Complaint
    from xiaobao.language.choices import Target
    from xiaobao.language.classifier import FIELD_FOR_TARGET, fit, samples_from_fields

    field = FIELD_FOR_TARGET[Target(target)]
    rows = list(
        Complaint.objects.filter(
            kind=Kind.COMPLAINT, status=Status.CLOSED, **{f"{field}__isnull": False}
        )
        .order_by("-pk")
        .values_list("title", "narrative", f"{field}__code")[:FALLBACK_TRAINING_CASES]
    )
    samples = samples_from_fields([[title, narrative] for title, narrative, _code in rows])
    return fit(samples, [code for _t, _n, code in rows]), len(rows)


def task_predict(url: str, n: int, seed: int) -> dict[str, Any]:
    """Every text is new to the process: the segmenter caches words per text (`words` is
    lru-cached), so a text seen before would be timed without its segmentation."""
    try:
        from xiaobao.language.classifier import _load, probabilities, samples_from_fields, suggest
    except ImportError as exc:
        return {"available": False, "why": f"no classifier ({exc})"}
    from xiaobao.language.choices import ModelStatus, Target
    from xiaobao.language.models import ClassifierModel

    single_n = min(200, n)
    per_target = n + single_n
    texts = _new_texts(5 + 3 * per_target + single_n, seed + 1000)
    samples = samples_from_fields([[title, body] for title, body in texts])
    warm, samples = samples[:5], samples[5:]
    out: dict[str, Any] = {"available": True, "texts": n, "targets": {}}
    for k, target in enumerate(Target.values):
        row = (
            ClassifierModel.objects.filter(target=target, status=ModelStatus.ACTIVE)
            .values_list("pk", "trained_at", "version", "n")
            .first()
        )
        entry: dict[str, Any] = {}
        model = _load(row[0], row[1]) if row else None
        if model is not None:
            entry["model"] = f"stored version {row[2]} (trained on {row[3]:,} cases)"
        elif target == Target.CATEGORY:
            t = time.perf_counter()
            model, used = _fallback_model(target)
            entry["model"] = (
                f"no stored version: fitted here by the product's `fit` on {used:,} cases "
                f"({time.perf_counter() - t:.0f} s), for the prediction figures only"
            )
        else:
            out["targets"][target] = {"model": "no stored version"}
            continue
        probabilities(model, warm)  # warm-up: the segmenter's dictionary, the model's pages
        mine = samples[k * per_target : (k + 1) * per_target]
        batch, fresh = mine[:n], mine[n:]
        t = time.perf_counter()
        probabilities(model, batch)
        wall = time.perf_counter() - t
        entry["batch"] = {"n": len(batch), "wall_s": wall, "per_s": len(batch) / wall}
        single = []
        for sample in fresh:
            t = time.perf_counter()
            probabilities(model, [sample])
            single.append(time.perf_counter() - t)
        entry["single"] = summary(single)
        out["targets"][target] = entry
    # What the product calls for one case: every active model, plus the names of the codes.
    latencies = []
    for title, body in texts[5 + 3 * per_target :]:
        t = time.perf_counter()
        suggest(title, body)
        latencies.append(time.perf_counter() - t)
    out["suggest"] = summary(latencies)
    out["suggest"]["targets"] = ClassifierModel.objects.filter(status=ModelStatus.ACTIVE).count()
    return out


def task_cleanup(url: str, since: float) -> dict[str, Any]:
    """Delete the versions stored since `since` (epoch seconds); a target left without an active
    version gets back the newest remaining one (the version this run's training retired)."""
    from datetime import UTC

    from xiaobao.language.choices import ModelStatus, Target
    from xiaobao.language.models import ClassifierModel

    moment = datetime.fromtimestamp(since, tz=UTC)
    deleted, _by = ClassifierModel.objects.filter(trained_at__gte=moment).delete()
    restored = []
    for target in Target.values:
        rows = ClassifierModel.objects.filter(target=target)
        if rows.exists() and not rows.filter(status=ModelStatus.ACTIVE).exists():
            newest = rows.filter(status=ModelStatus.RETIRED).order_by("-version").first()
            if newest is not None:
                rows.filter(pk=newest.pk).update(status=ModelStatus.ACTIVE)
                restored.append(f"{target} v{newest.version}")
    return {"available": True, "deleted": deleted, "restored": restored}


# --- duplicates ----------------------------------------------------------------------------------


def task_duplicates(url: str, n: int, seed: int) -> dict[str, Any]:
    try:
        from xiaobao.language.duplicates import find_duplicates
    except ImportError as exc:
        return {"available": False, "why": f"no duplicate finder ({exc})"}
    from bench.inproc import intake_inputs
    from xiaobao.complaints import services
    from xiaobao.complaints.models import Complaint
    from xiaobao.lib.clock import now
    from xiaobao.organisation.models import Unit, User
    from xiaobao.organisation.scope import visible_to

    user = User.objects.get(username="hq_officer")
    rng = random.Random(seed)
    units = {u.code: u for u in Unit.objects.all()}
    items = intake_inputs(n + 5, seed + 2000)
    # A quarter retell a recent case: the same story under a referral header.
    recent = list(
        Complaint.objects.filter(received_at__gte=now() - timedelta(days=60))
        .select_related("unit")
        .prefetch_related("complainants")
        .order_by("-pk")[: max(50, n)]
    )
    planted: dict[int, int] = {}  # index in items → the case it retells
    if recent:
        for i in range(5, len(items), 4):
            source = rng.choice(recent)
            item = items[i]
            item["title"] = source.title
            item["narrative"] = f"【转办】市民来电反映：{source.narrative}"
            item["unit"] = source.unit.code  # registered for the same unit
            people = list(source.complainants.all())
            if people and rng.random() < 0.5:
                item["complainants"][0]["phone"] = people[0].phone or ""
            planted[i] = source.pk

    def find(item: dict[str, Any]) -> list[Any]:
        person = item["complainants"][0]
        return find_duplicates(
            user=user,
            title=item["title"],
            narrative=item["narrative"],
            id_number=person["id_number"],
            phone=person["phone"],
            unit=units.get(item["unit"]),
        )

    for item in items[:5]:  # warm-up: segmenter, prepared plans
        find(item)
    latencies, found, hits = [], [], 0
    for i, item in enumerate(items[5:], start=5):
        t = time.perf_counter()
        candidates = find(item)
        latencies.append(time.perf_counter() - t)
        found.append(len(candidates))
        if i in planted and any(c.complaint.pk == planted[i] for c in candidates):
            hits += 1
    on_submit = []
    for item in items[5:]:
        person = item["complainants"][0]
        t = time.perf_counter()
        list(
            visible_to(
                user, services.duplicates_for(phone=person["phone"], id_number=person["id_number"])
            )[:5]
        )
        on_submit.append(time.perf_counter() - t)
    return {
        "available": True,
        "texts": len(latencies),
        "find_duplicates": summary(latencies),
        "mean_candidates": sum(found) / len(found) if found else 0,
        "planted": len(planted),
        "planted_found": hits,
        "duplicates_for": summary(on_submit),
    }
