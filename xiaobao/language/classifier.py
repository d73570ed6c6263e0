"""Text classification: suggest a case's business category, cause and demand from its words.

The model (chosen by 5-fold cross-validation on the shared labelled sample, see the tests):

* features, all TF-IDF with sublinear term frequency, fitted inside each training set only:
  - the title on its own (a title is short and says what the case is about, so its words get
    their own weights instead of drowning in a long narrative);
  - the whole text as "script-aware" n-grams: Chinese characters and character pairs (a pair is
    most two-character words, and needs no dictionary), English and digit words and word pairs;
  - the whole text as jieba words and word pairs (with the financial dictionary);
* a linear SVM with balanced class weights (rare categories are not swamped), with per-class
  decision offsets and a temperature both fitted on the out-of-fold margins of an internal
  5-fold cross-validation of the training set: the offsets move each class's threshold to
  where the held-out folds give the best macro-F1 (balanced weights balance the loss, not the
  close calls, and a rare class still lost most of them), and the temperature turns the
  shifted margins into probabilities by a softmax (the sigmoid calibration used before learnt
  the class shares back and undid the balancing).

`classifier_evaluate` also scores the plain baseline (a class-balanced linear SVM on character
1–3-gram and word TF-IDF) in the same folds and reports the margin in macro-F1 (seed 0, the
command's default; all seeds in docs/benchmarks.md): +0.067 on the 495-message government
sample (0.856 against 0.789) and +0.036 on the imbalanced 1,499-comment bank sample (0.520
against 0.484). Without the offsets the bank margin was +0.004. Fitting them costs accuracy
on the bank sample (0.831 against 0.863: the rare classes are predicted more often) and one
training about 1.5 times as long (six fits instead of four).

Models are trained on the institution's own closed cases (the classification on a closed case is
the handler's final word, corrections included), versioned in `ClassifierModel`, and a new
version replaces the active one only if it is at least as good on held-out cases.
"""

from __future__ import annotations

import io
import logging
import math
import random
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import joblib
import numpy as np
import sklearn
from django.conf import settings
from django.db import transaction
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

from xiaobao.complaints.choices import Axis, Kind, Status
from xiaobao.complaints.models import Complaint, TaxonomyTerm
from xiaobao.language.choices import ModelStatus, Target
from xiaobao.language.models import ClassifierModel
from xiaobao.language.segment import has_cjk, normalise, words
from xiaobao.lib.clock import now

logger = logging.getLogger(__name__)

Sample = tuple[str, str]  # (title or first field, the whole text)

AXIS_FOR_TARGET = {
    Target.CATEGORY: Axis.BUSINESS_CATEGORY,
    Target.CAUSE: Axis.CAUSE,
    Target.DEMAND: Axis.DEMAND,
}
# The registration service's keyword for each target's suggestion.
FIELD_FOR_TARGET = {
    Target.CATEGORY: "business_category",
    Target.CAUSE: "cause",
    Target.DEMAND: "demands",
}
MIN_TRAINING_CASES = 30
# Training takes the newest labelled cases only: fitting grows linearly in time and memory (about
# 66 s and 385 MB for 20,000 texts on the 2-core machine), a million closed cases would need
# hours and gigabytes, and the newest cases speak the institution's current language anyway.
MAX_TRAINING_CASES = 50_000
MIN_COMPARISON_CASES = 20
# Suggestions less likely than this are not shown (a 1% guess is noise, not help);
# setting XIAOBAO_SUGGESTION_MIN_CONFIDENCE overrides it.
SUGGESTION_FLOOR = 0.15
# The scheduled retraining runs once this many cases were closed since the last training.
RETRAIN_AFTER = 50
HOLDOUT_SHARE = 0.2
MAX_FEATURES = 100_000  # per feature set: bounds the stored model (features × classes)


# --- features ------------------------------------------------------------------------------------


_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\W_\u3400-\u9fff\uf900-\ufaff]+")


def script_grams(text: str) -> list[str]:
    """Chinese characters and character pairs; other words and word pairs (all lower-case).

    Character pairs need no dictionary and cover most two-character words, so this part of the
    model does not depend on segmentation at all.
    """
    grams: list[str] = []
    previous = ""
    for run in _RUNS.findall(normalise(text)):
        if has_cjk(run[0]):
            grams.extend(run)
            grams.extend(run[i : i + 2] for i in range(len(run) - 1))
            previous = ""
        else:
            grams.append(run)
            if previous:
                grams.append(f"{previous} {run}")
            previous = run
    return grams


def word_tokens(text: str) -> tuple[str, ...]:
    return words(text)


class Field(BaseEstimator, TransformerMixin):
    """Pick one element of each (title, text) sample."""

    def __init__(self, index: int = 1) -> None:
        self.index = index

    def fit(self, X: Any, y: Any = None) -> Field:
        return self

    def transform(self, X: Sequence[Sample]) -> list[str]:
        return [sample[self.index] for sample in X]


class CalibratedSVC(BaseEstimator, ClassifierMixin):
    """A class-balanced linear SVM whose margins become probabilities by temperature scaling.

    The probabilities are a softmax over the margins divided by one temperature, fitted (least
    log-loss) on out-of-fold margins of internal cross-validation. Being monotonic in the
    margins, it keeps the balanced SVM's decisions: the sigmoid (Platt) calibration used before
    learnt the class shares back into every probability and undid the balancing, so rare
    classes lost every close call (on the imbalanced bank-comment sample it fell behind a plain
    balanced SVM on macro-F1). With a class too small for internal folds the temperature is 1.
    """

    def __init__(self, C: float = 1.0, folds: int = 5) -> None:
        self.C = C
        self.folds = folds

    def _svm(self) -> LinearSVC:
        return LinearSVC(C=self.C, class_weight="balanced", max_iter=10_000, random_state=0)

    @staticmethod
    def _margins(model: LinearSVC, X: Any) -> np.ndarray:
        margins = np.asarray(model.decision_function(X))
        return np.column_stack([-margins, margins]) if margins.ndim == 1 else margins

    def fit(self, X: Any, y: Sequence[str]) -> CalibratedSVC:
        counts = Counter(y)
        self.classes_ = np.array(sorted(counts))
        self.temperature_ = 1.0
        self.bias_ = np.zeros(len(self.classes_))
        if len(counts) < 2:
            self.model_: Any = None
            return self
        labels = np.asarray(y)
        folds = min(self.folds, min(counts.values()))
        if folds >= 2:
            index = {c: i for i, c in enumerate(self.classes_)}
            out = np.zeros((len(labels), len(self.classes_)))
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
            for train, test in splitter.split(np.zeros(len(labels)), labels):
                part = self._svm().fit(X[train], labels[train])
                columns = [index[c] for c in part.classes_]
                out[np.ix_(test, columns)] = self._margins(part, X[test])
            truth = np.array([index[c] for c in labels])
            self.bias_ = _fit_bias(out, truth)
            self.temperature_ = _fit_temperature(out + self.bias_, truth)
        self.model_ = self._svm().fit(X, labels)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        if self.model_ is None:
            return np.ones((X.shape[0], 1))
        margins = self._margins(self.model_, X) + getattr(self, "bias_", 0.0)
        return _softmax(margins / self.temperature_)

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])


def _softmax(z: np.ndarray) -> np.ndarray:
    exp = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


BIAS_GRID = np.linspace(-1.0, 1.0, 41)


def _macro_f1(truth: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Macro-F1 over the classes present in either array, as scikit-learn computes it, but
    fast enough to be called a few thousand times in one fit."""
    hits = np.bincount(truth[truth == pred], minlength=k)
    total = np.bincount(truth, minlength=k) + np.bincount(pred, minlength=k)
    present = total > 0
    if not present.any():
        return 0.0
    return float(np.mean(2 * hits[present] / total[present]))


def _fit_bias(margins: np.ndarray, truth: np.ndarray, *, passes: int = 2) -> np.ndarray:
    """Per-class offsets added to the margins, chosen for the best macro-F1 of the out-of-fold
    decisions (coordinate ascent over a fixed grid, deterministic, training data only).

    Class weights balance the loss, not the decision: on an imbalanced set a rare class still
    loses most close calls, and macro-F1 counts every class alike. Moving each class's threshold
    where the held-out folds of the training set say it belongs fixes that; a class whose
    offset gains nothing keeps 0. The offsets are centred (a common shift changes nothing).
    """
    k = margins.shape[1]
    bias = np.zeros(k)

    def score(b: np.ndarray) -> float:
        return _macro_f1(truth, (margins + b).argmax(axis=1), k)

    best = score(bias)
    for _ in range(passes):
        for j in range(k):
            for value in BIAS_GRID:
                trial = bias.copy()
                trial[j] = value
                gained = score(trial)
                if gained > best + 1e-9:
                    best, bias = gained, trial
    return np.asarray(bias - bias.mean())


def _fit_temperature(margins: np.ndarray, truth: np.ndarray) -> float:
    """The temperature with the least log-loss of softmax(margins / T), searched on a log grid
    and refined once (no optimiser dependency, deterministic)."""

    def loss(t: float) -> float:
        p = _softmax(margins / t)[np.arange(len(truth)), truth]
        return float(-np.mean(np.log(np.clip(p, 1e-12, 1.0))))

    grid = np.exp(np.linspace(np.log(0.02), np.log(5.0), 41))
    best = min(grid, key=loss)
    fine = np.exp(np.linspace(np.log(best) - 0.15, np.log(best) + 0.15, 21))
    return float(min(fine, key=loss))


def build_pipeline(*, with_title: bool, n_samples: int) -> Pipeline:
    """A fresh, unfitted pipeline; `min_df=2` only once there is enough text to afford it."""
    min_df = 2 if n_samples >= 200 else 1

    def tfidf(analyzer: Any, **extra: Any) -> TfidfVectorizer:
        return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, dtype=np.float32, **extra)

    parts: list[tuple[str, Any]] = []
    if with_title:
        parts.append(
            (
                "title",
                Pipeline(
                    [("pick", Field(0)), ("tfidf", tfidf(script_grams, max_features=MAX_FEATURES))]
                ),
            )
        )
    parts.append(
        (
            "grams",
            Pipeline(
                [
                    ("pick", Field(1)),
                    ("tfidf", tfidf(script_grams, min_df=min_df, max_features=MAX_FEATURES)),
                ]
            ),
        )
    )
    parts.append(
        (
            "words",
            Pipeline(
                [
                    ("pick", Field(1)),
                    (
                        "tfidf",
                        TfidfVectorizer(
                            tokenizer=word_tokens,
                            token_pattern=None,
                            lowercase=False,
                            ngram_range=(1, 2),
                            sublinear_tf=True,
                            min_df=min_df,
                            max_features=MAX_FEATURES,
                            dtype=np.float32,
                        ),
                    ),
                ]
            ),
        )
    )
    return Pipeline([("features", FeatureUnion(parts)), ("svm", CalibratedSVC())])


def samples_from_fields(rows: Sequence[Sequence[str]]) -> list[Sample]:
    """(first field, all fields joined) per row; whitespace runs collapsed."""
    out = []
    for fields in rows:
        cleaned = [" ".join(str(f or "").split()) for f in fields]
        head = cleaned[0] if len(cleaned) > 1 else ""
        out.append((head, " ".join(c for c in cleaned if c)))
    return out


def fit(samples: Sequence[Sample], labels: Sequence[str]) -> Pipeline:
    with_title = any(title for title, _ in samples)
    pipeline = build_pipeline(with_title=with_title, n_samples=len(samples))
    # One BLAS thread: the calibration's tiny optimisations run 30 times slower when OpenBLAS
    # threads spin against each other (and the sparse SVM gains nothing from them).
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", category=UserWarning)
        pipeline.fit(list(samples), list(labels))
    return pipeline


def probabilities(model: Pipeline, samples: Sequence[Sample]) -> tuple[list[str], np.ndarray]:
    """The model's classes and one row of probabilities per sample."""
    proba = model.predict_proba(list(samples))
    return [str(c) for c in model.classes_], proba


# --- evaluation ----------------------------------------------------------------------------------


def _scores(
    classes: Sequence[str], proba: np.ndarray, truth: Sequence[frozenset[str]]
) -> dict[str, float]:
    """Accuracy, macro-F1 and top-3 accuracy; a prediction is right if it is among the labels."""
    order = np.argsort(-proba, axis=1)
    top1_hits = top3_hits = 0
    y_true: list[str] = []
    y_pred: list[str] = []
    for row, labels in zip(order, truth, strict=True):
        ranked = [classes[i] for i in row[:3]]
        best = ranked[0]
        top1_hits += best in labels
        top3_hits += any(c in labels for c in ranked)
        y_pred.append(best)
        y_true.append(best if best in labels else sorted(labels)[0])
    n = len(truth)
    return {
        "accuracy": top1_hits / n if n else 0.0,
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)) if n else 0.0,
        "top3_accuracy": top3_hits / n if n else 0.0,
    }


def _aligned(model_classes: Sequence[str], proba: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Probabilities re-ordered to `classes`, zero for classes the model never saw."""
    full = np.zeros((proba.shape[0], len(classes)))
    where = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(model_classes):
        full[:, where[c]] = proba[:, j]
    return full


def baseline_pipeline(*, n_samples: int) -> Pipeline:
    """The plain baseline the model must beat: a class-balanced linear SVM over character
    1–3-gram and jieba word 1–2-gram TF-IDF of the whole text."""
    min_df = 2 if n_samples >= 200 else 1
    features = FeatureUnion(
        [
            (
                "chars",
                Pipeline(
                    [
                        ("pick", Field(1)),
                        (
                            "tfidf",
                            TfidfVectorizer(
                                analyzer="char",
                                ngram_range=(1, 3),
                                sublinear_tf=True,
                                min_df=min_df,
                                max_features=MAX_FEATURES,
                                dtype=np.float32,
                            ),
                        ),
                    ]
                ),
            ),
            (
                "words",
                Pipeline(
                    [
                        ("pick", Field(1)),
                        (
                            "tfidf",
                            TfidfVectorizer(
                                tokenizer=word_tokens,
                                token_pattern=None,
                                lowercase=False,
                                ngram_range=(1, 2),
                                sublinear_tf=True,
                                min_df=min_df,
                                max_features=MAX_FEATURES,
                                dtype=np.float32,
                            ),
                        ),
                    ]
                ),
            ),
        ]
    )
    svm = LinearSVC(class_weight="balanced", max_iter=10_000, random_state=0)
    return Pipeline([("features", features), ("svm", svm)])


def cross_validate(
    samples: Sequence[Sample],
    labels: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 0,
    baseline: bool = False,
) -> dict[str, Any]:
    """Stratified k-fold cross-validation; every fold's vectorisers are fitted on its training
    part only. Returns n, classes (how many), accuracy, macro_f1 and top3_accuracy (pooled).

    With `baseline`, the class-balanced linear SVM on character and word features
    (`baseline_pipeline`) is fitted and scored in the very same folds, and `baseline` (its
    accuracy and macro-F1) and `margin` (the model's macro-F1 minus the baseline's) are added."""
    n = len(samples)
    classes = sorted(set(labels))
    if folds < 2 or n < folds:
        raise ValueError(f"need at least {folds} rows for {folds}-fold cross-validation")
    if len(classes) < 2:
        raise ValueError("need at least two classes")
    y = np.array(labels)
    proba = np.zeros((n, len(classes)))
    base_pred = np.empty(n, dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # Classes smaller than the number of folds are expected in real registries.
        warnings.simplefilter("ignore", category=UserWarning)
        splits = list(splitter.split(np.zeros(n), y))
    for train, test in splits:
        model = fit([samples[i] for i in train], y[train].tolist())
        model_classes, p = probabilities(model, [samples[i] for i in test])
        proba[test] = _aligned(model_classes, p, classes)
        if baseline:
            plain = baseline_pipeline(n_samples=len(train))
            with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
                warnings.simplefilter("ignore", category=UserWarning)
                plain.fit([samples[i] for i in train], y[train].tolist())
            base_pred[test] = plain.predict([samples[i] for i in test])
    scores = _scores(classes, proba, [frozenset([label]) for label in labels])
    result: dict[str, Any] = {
        "n": n,
        "classes": len(classes),
        **{k: round(v, 4) for k, v in scores.items()},
    }
    if baseline:
        base_f1 = float(f1_score(labels, list(base_pred), average="macro", zero_division=0))
        result["baseline"] = {
            "name": "class-balanced LinearSVC, char 1-3-gram + word 1-2-gram TF-IDF",
            "accuracy": round(float(np.mean(base_pred == y)), 4),
            "macro_f1": round(base_f1, 4),
        }
        result["margin"] = round(result["macro_f1"] - base_f1, 4)
    return result


# --- stored models -------------------------------------------------------------------------------


def _dumps(model: Pipeline) -> bytes:
    # Vectorisers keep every term they dropped, for introspection only: often most of the bytes.
    for _name, part in model.named_steps["features"].transformer_list:
        vectoriser = part.named_steps["tfidf"]
        if hasattr(vectoriser, "stop_words_"):
            delattr(vectoriser, "stop_words_")
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    return buffer.getvalue()


@lru_cache(maxsize=8)
def _load(pk: int, trained_at: datetime) -> Pipeline | None:
    """The fitted pipeline of a stored version (cached per process; a version never changes, and
    `trained_at` in the key keeps a re-used id, as in a rolled-back test, from hitting the cache).

    The blob is a pickle written by `classifier_train` into our own database: trusted data. A blob
    written by another scikit-learn version is not loaded (retrain instead).
    """
    row = ClassifierModel.objects.filter(pk=pk).values("blob", "sklearn_version").first()
    if row is None or not row["blob"]:
        return None
    if row["sklearn_version"] != sklearn.__version__:
        logger.warning(
            "classifier %s was trained with scikit-learn %s, running %s: retrain it",
            pk,
            row["sklearn_version"],
            sklearn.__version__,
        )
        return None
    return joblib.load(io.BytesIO(bytes(row["blob"])))


@dataclass
class LabelledCase:
    pk: int
    sample: Sample
    labels: frozenset[str]
    labelled_at: datetime | None


def labelled_cases(target: str, limit: int | None = MAX_TRAINING_CASES) -> list[LabelledCase]:
    """Closed complaints with a code on `target`: the classification handlers finally chose.

    The newest `limit` of them (by case id), returned oldest first."""
    qs = Complaint.objects.filter(kind=Kind.COMPLAINT, status=Status.CLOSED)
    if limit is not None:
        newest = qs
        if target == Target.DEMAND:
            newest = newest.filter(demands__isnull=False).distinct()
        else:
            newest = newest.filter(**{f"{FIELD_FOR_TARGET[Target(target)]}__isnull": False})
        ids = list(newest.order_by("-pk").values_list("pk", flat=True)[:limit])
        qs = qs.filter(pk__gte=min(ids)) if ids else qs.none()
    qs = qs.order_by("pk")
    cases: list[LabelledCase] = []
    if target == Target.DEMAND:
        rows = qs.prefetch_related("demands").only("pk", "title", "narrative", "ended_at")
        for c in rows.iterator(chunk_size=2000):
            codes = frozenset(t.code for t in c.demands.all())
            if codes:
                sample = samples_from_fields([[c.title, c.narrative]])[0]
                cases.append(LabelledCase(c.pk, sample, codes, c.ended_at))
        return cases
    field_name = FIELD_FOR_TARGET[Target(target)]
    values = qs.filter(**{f"{field_name}__isnull": False}).values_list(
        "pk", "title", "narrative", f"{field_name}__code", "ended_at"
    )
    for pk, title, narrative, code, ended_at in values.iterator(chunk_size=2000):
        cases.append(
            LabelledCase(
                pk, samples_from_fields([[title, narrative]])[0], frozenset([code]), ended_at
            )
        )
    return cases


def _split(cases: Sequence[LabelledCase], seed: int) -> tuple[list[int], list[int]]:
    """Stratified (by the case's first label) train/holdout index split, deterministic."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, case in enumerate(cases):
        by_label[sorted(case.labels)[0]].append(i)
    rng = random.Random(seed)
    train: list[int] = []
    holdout: list[int] = []
    for label in sorted(by_label):
        members = by_label[label]
        rng.shuffle(members)
        k = math.floor(len(members) * HOLDOUT_SHARE) if len(members) >= 5 else 0
        holdout += members[:k]
        train += members[k:]
    return sorted(train), sorted(holdout)


def _pairs(cases: Sequence[LabelledCase]) -> tuple[list[Sample], list[str]]:
    """One (sample, label) pair per label: a case with two demands teaches both."""
    samples: list[Sample] = []
    labels: list[str] = []
    for case in cases:
        for label in sorted(case.labels):
            samples.append(case.sample)
            labels.append(label)
    return samples, labels


def _evaluate(model: Pipeline, cases: Sequence[LabelledCase]) -> dict[str, float]:
    classes, proba = probabilities(model, [c.sample for c in cases])
    return _scores(classes, proba, [c.labels for c in cases])


@dataclass
class TrainResult:
    """What one training run did, for the command, the job and the logs."""

    target: str
    outcome: str  # "activated", "rejected" or "skipped"
    model: ClassifierModel | None = None
    message: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "outcome": self.outcome,
            "version": self.model.version if self.model else None,
            "message": self.message,
            "metrics": self.metrics,
        }


def classifier_train(
    *,
    target: str,
    seed: int = 0,
    min_cases: int = MIN_TRAINING_CASES,
    min_comparison: int = MIN_COMPARISON_CASES,
    max_cases: int | None = MAX_TRAINING_CASES,
) -> TrainResult:
    """Train a new version for `target` and activate it unless the active one is better.

    A stratified fifth of the cases is held out. The candidate, trained on the rest, is compared
    with the active version on the same held-out cases: those the active version never saw
    (closed after it was trained) when there are enough, else all of them. A worse
    candidate is recorded as rejected (metrics only) and the active version stays. A candidate
    that is as good or better is refitted on all cases and becomes active. "All" is the newest
    `max_cases` labelled cases (`MAX_TRAINING_CASES` by default).
    """
    target = Target(target)
    cases = labelled_cases(target, limit=max_cases)
    label_counts = Counter(label for c in cases for label in c.labels)
    if len(cases) < min_cases or len(label_counts) < 2:
        return TrainResult(
            target,
            "skipped",
            message=f"已办结且已分类的投诉不足（{len(cases)}件，{len(label_counts)}类），"
            f"至少需要{min_cases}件、2类。",
        )
    train_idx, holdout_idx = _split(cases, seed)
    train_cases = [cases[i] for i in train_idx]
    holdout = [cases[i] for i in holdout_idx]
    candidate = fit(*_pairs(train_cases))
    metrics: dict[str, Any] = {
        **{k: round(v, 4) for k, v in _evaluate(candidate, holdout).items()},
        "n_train": len(train_cases),
        "n_holdout": len(holdout),
        "n_classes": len(label_counts),
    }
    active = ClassifierModel.objects.filter(target=target, status=ModelStatus.ACTIVE).first()
    old_model = _load(active.pk, active.trained_at) if active is not None else None
    if active is not None and old_model is not None:
        # Both versions are scored on the same held-out cases. Cases the active version learnt
        # from (closed before it was trained) flatter it, so the unseen ones are used when there
        # are enough; otherwise the whole held-out set, which favours the version in use.
        unseen = [c for c in holdout if c.labelled_at is None or c.labelled_at > active.trained_at]
        compared = unseen if len(unseen) >= min_comparison else holdout
        new_score = _evaluate(candidate, compared)["accuracy"]
        old_score = _evaluate(old_model, compared)["accuracy"]
        basis = (
            f"{len(compared)} unseen held-out cases"
            if compared is unseen
            else f"the same {len(compared)} held-out cases"
        )
        metrics["comparison"] = {
            "against_version": active.version,
            "candidate_accuracy": round(new_score, 4),
            "active_accuracy": round(old_score, 4),
            "basis": basis,
        }
        if new_score < old_score:
            row = _save(target, ModelStatus.REJECTED, len(cases), label_counts, metrics, b"")
            return TrainResult(
                target,
                "rejected",
                row,
                f"新模型准确率{new_score:.3f}低于在用版本v{active.version}的{old_score:.3f}，"
                "继续使用在用版本。",
                metrics,
            )
    final = fit(*_pairs(cases))
    row = _save(target, ModelStatus.ACTIVE, len(cases), label_counts, metrics, _dumps(final))
    return TrainResult(target, "activated", row, f"已启用 v{row.version}。", metrics)


@transaction.atomic
def _save(
    target: str,
    status: str,
    n: int,
    label_counts: Counter[str],
    metrics: dict[str, Any],
    blob: bytes,
) -> ClassifierModel:
    # Lock the target's rows so two trainers cannot both take the next version number (the very
    # first two would collide on the unique constraint instead, and the loser's job retries).
    versions = ClassifierModel.objects.filter(target=target)
    version = max(versions.select_for_update().values_list("version", flat=True), default=0) + 1
    if status == ModelStatus.ACTIVE:
        versions.filter(status=ModelStatus.ACTIVE).update(status=ModelStatus.RETIRED)
    return ClassifierModel.objects.create(
        target=target,
        version=version,
        status=status,
        trained_at=now(),
        n=n,
        classes=sorted(label_counts),
        metrics=metrics,
        blob=blob,
        sklearn_version=sklearn.__version__,
    )


def classifier_train_all(
    *, targets: Sequence[str] | None = None, max_cases: int | None = MAX_TRAINING_CASES
) -> list[TrainResult]:
    return [classifier_train(target=t, max_cases=max_cases) for t in (targets or Target.values)]


def new_labelled_count(target: str) -> int:
    """Closed, classified cases that ended after `target`'s last training (any outcome): the
    handlers' final classifications, corrections of the suggestions included, that no model has
    learnt from yet. Without any training, every such case."""
    last = (
        ClassifierModel.objects.filter(target=target)
        .order_by("-trained_at")
        .values_list("trained_at", flat=True)
        .first()
    )
    qs = Complaint.objects.filter(kind=Kind.COMPLAINT, status=Status.CLOSED)
    if target == Target.DEMAND:
        qs = qs.filter(demands__isnull=False).distinct()
    else:
        qs = qs.filter(**{f"{FIELD_FOR_TARGET[Target(target)]}__isnull": False})
    if last is not None:
        qs = qs.filter(ended_at__gt=last)
    return qs.count()


def classifier_retrain_due(*, threshold: int = RETRAIN_AFTER) -> list[TrainResult]:
    """Train every target with at least `threshold` new labelled cases (MIN_TRAINING_CASES
    for a target never trained)."""
    results = []
    for target in Target.values:
        has_model = ClassifierModel.objects.filter(target=target).exists()
        needed = threshold if has_model else MIN_TRAINING_CASES
        if new_labelled_count(target) >= needed:
            results.append(classifier_train(target=target))
    return results


# --- suggestions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """One suggested code with the model's confidence (a probability between 0 and 1)."""

    code: str
    name: str
    confidence: float
    term_id: int | None = None  # the taxonomy term's id, which the forms' pickers use


def trained_targets() -> set[str]:
    """The targets ("category", "cause", "demand") with an active model that can be loaded."""
    active = ClassifierModel.objects.filter(status=ModelStatus.ACTIVE).values_list(
        "target", "pk", "trained_at"
    )
    return {target for target, pk, trained_at in active if _load(pk, trained_at) is not None}


def suggest(title: str, narrative: str, *, top: int = 3) -> dict[str, list[Suggestion]]:
    """Up to `top` suggestions per target ("category", "cause", "demand"), most likely first.

    Targets without an active model, codes retired since training and guesses below the
    confidence floor (`SUGGESTION_FLOOR`) are left out. The keys
    map to `complaint_register`'s arguments through `FIELD_FOR_TARGET`.
    """
    out: dict[str, list[Suggestion]] = {t.value: [] for t in Target}
    if not (title or "").strip() and not (narrative or "").strip():
        return out
    sample = samples_from_fields([[title, narrative]])
    floor = float(getattr(settings, "XIAOBAO_SUGGESTION_MIN_CONFIDENCE", SUGGESTION_FLOOR))
    active = ClassifierModel.objects.filter(status=ModelStatus.ACTIVE).values_list(
        "target", "pk", "trained_at"
    )
    ranked: dict[str, list[tuple[str, float]]] = {}
    for target, pk, trained_at in active:
        model = _load(pk, trained_at)
        if model is None:
            continue
        classes, proba = probabilities(model, sample)
        order = np.argsort(-proba[0])
        ranked[target] = [(classes[i], float(proba[0][i])) for i in order]
    for target, candidates in ranked.items():
        axis = AXIS_FOR_TARGET[Target(target)]
        terms = {
            code: (name, pk)
            for code, name, pk in TaxonomyTerm.objects.filter(
                axis=axis, is_active=True, code__in=[c for c, _ in candidates[: top * 3]]
            ).values_list("code", "name", "pk")
        }
        out[target] = [
            Suggestion(code, terms[code][0], round(p, 3), terms[code][1])
            for code, p in candidates
            if code in terms and p >= floor
        ][:top]
    return out
