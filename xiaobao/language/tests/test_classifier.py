"""Classification: cross-validation on labelled files, training, versioning and suggestions."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from xiaobao.complaints.models import Complaint, TaxonomyTerm
from xiaobao.language import classifier
from xiaobao.language.choices import ModelStatus, Target
from xiaobao.language.classifier import (
    classifier_train,
    cross_validate,
    samples_from_fields,
    script_grams,
    suggest,
)
from xiaobao.language.models import ClassifierModel

from .conftest import BANK_COMMENTS, GOV_MESSAGES, shared_file

# The reference: char 1–3-gram TF-IDF + LinearSVC on the same file reaches about
# accuracy 0.78 / macro-F1 0.75 (0.790 / 0.789 on these very folds). Ours reaches 0.853 / 0.856.
BASELINE_ACCURACY = 0.78
BASELINE_MACRO_F1 = 0.75


def _evaluate(*args: str) -> dict:
    out = io.StringIO()
    call_command("classifier_evaluate", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_beats_the_baseline_on_the_shared_chinese_sample():
    path = shared_file(GOV_MESSAGES)
    result = _evaluate(
        str(path),
        "--text-col=留言主题",
        "--text-col=留言详情",
        "--label-col=一级分类",
        "--folds=5",
    )
    assert list(result) == [
        "n",
        "classes",
        "accuracy",
        "macro_f1",
        "top3_accuracy",
        "baseline",
        "margin",
    ]
    assert result["n"] == 495 and result["classes"] == 7
    # The class-balanced linear SVM on character and word features, in the same folds.
    assert result["margin"] >= 0.02, result
    assert result["margin"] == pytest.approx(
        result["macro_f1"] - result["baseline"]["macro_f1"], abs=1e-3
    )
    # Clearly better, with room for numeric noise across platforms.
    assert result["accuracy"] >= BASELINE_ACCURACY + 0.04
    assert result["macro_f1"] >= BASELINE_MACRO_F1 + 0.07
    assert result["top3_accuracy"] >= 0.95


def test_beats_the_baseline_on_the_imbalanced_bank_comments():
    """1,499 bank comments, 158 negative, 57 positive, 1,284 neutral: the class-balanced SVM's
    rare classes lose their close calls unless the decision thresholds are fitted too (the
    command's default folds; other seeds are reported in docs/benchmarks.md)."""
    result = _evaluate(
        str(shared_file(BANK_COMMENTS)),
        "--text-col=text",
        "--label-col=class",
        "--folds=5",
    )
    assert result["n"] == 1499 and result["classes"] == 3
    assert result["margin"] >= 0.02, result


ENGLISH = {
    "card": [
        "I was charged an annual fee on my credit card that nobody told me about",
        "credit card late fee charged even though I paid on time",
        "the bank raised my credit card interest rate without notice",
        "unauthorized transactions on my credit card statement",
        "credit card limit was cut without warning",
        "cannot get a refund of the credit card annual fee",
        "my credit card was billed twice for the same purchase",
        "credit card rewards points disappeared from my account",
        "they refuse to waive the credit card overlimit fee",
        "card statement shows an interest charge I do not understand",
    ],
    "mortgage": [
        "the lender would not let me repay my mortgage early without a penalty",
        "mortgage payment was applied late and reported to the credit bureau",
        "escrow account for my home loan was miscalculated",
        "they lost my mortgage modification paperwork twice",
        "my home loan interest rate changed after closing",
        "foreclosure notice sent although my mortgage payments are current",
        "prepayment penalty on my house loan was never disclosed",
        "the servicer charged mortgage fees at closing that were not in the estimate",
        "refinance of my home loan has been delayed for months",
        "mortgage statement shows a missed payment that I made",
    ],
    "collection": [
        "debt collector calls me ten times a day at work",
        "collection agency threatened to tell my employer about the debt",
        "they keep calling my relatives about a debt I do not owe",
        "debt collector used abusive language on the phone",
        "collector is trying to collect a debt that was already paid",
        "harassing calls from a collection agency late at night",
        "the agency refuses to validate the debt they are collecting",
        "collector threatened to have me arrested over an old debt",
        "debt collection letters keep coming for someone else",
        "collection calls continue after I asked them to stop",
    ],
}


def test_english_text_is_classified():
    rows = [(text, label) for label, texts in ENGLISH.items() for text in texts]
    samples = samples_from_fields([[text] for text, _ in rows])
    result = cross_validate(samples, [label for _, label in rows], folds=5)
    assert result["n"] == 30 and result["classes"] == 3
    assert result["accuracy"] >= 0.8 and result["macro_f1"] >= 0.8
    assert "credit card" in script_grams("Credit  CARD fee") and "ｆｅｅ" not in script_grams(
        "ｆｅｅ"
    )


def test_cfpb_english_file_if_present():
    from .conftest import SHARED_DATA

    path = shared_file(SHARED_DATA / "cfpb_export_full_schema_2012_2017_sample.csv")
    result = _evaluate(str(path), "--text-col=issue", "--text-col=sub_issue", "--label-col=product")
    # Baseline on the same folds: accuracy 0.897, macro-F1 0.651.
    assert result["n"] == 145
    assert result["accuracy"] >= 0.88 and result["macro_f1"] >= 0.68


def test_evaluate_reads_gb18030_csv_and_xlsx(tmp_path):
    from openpyxl import Workbook

    rows = [(text, label) for label, texts in ENGLISH.items() for text in texts]
    csv_path = tmp_path / "gbk.csv"
    lines = ["标题,类别"] + [f'"{t}，中文",{label}' for t, label in rows]
    csv_path.write_bytes("\n".join(lines).encode("gb18030"))
    from_csv = _evaluate(str(csv_path), "--text-col=标题", "--label-col=类别", "--folds=3")

    book = Workbook()
    sheet = book.active
    sheet.append(["标题", "类别"])
    for t, label in rows:
        sheet.append([f"{t}，中文", label])
    for _ in range(50):
        sheet.append([None, None])  # Excel's declared-but-empty rows
    xlsx_path = tmp_path / "data.xlsx"
    book.save(xlsx_path)
    from_xlsx = _evaluate(str(xlsx_path), "--text-col=标题", "--label-col=类别", "--folds=3")
    assert from_csv == from_xlsx and from_csv["n"] == 30


def test_evaluate_names_missing_columns(tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="没有列"):
        _evaluate(str(path), "--text-col=标题", "--label-col=b")


# --- training on the institution's own cases -----------------------------------------------------


def test_too_few_cases_is_skipped(closed_cases):
    closed_cases(3, ended_days_ago=1)
    result = classifier_train(target=Target.CATEGORY)
    assert result.outcome == "skipped" and not ClassifierModel.objects.exists()


def test_train_activate_and_suggest(closed_cases):
    closed_cases(12, ended_days_ago=10)
    results = classifier.classifier_train_all()
    assert [r.outcome for r in results] == ["activated"] * 3
    model = ClassifierModel.objects.get(target=Target.CATEGORY)
    assert model.version == 1 and model.status == ModelStatus.ACTIVE and model.n == 36
    assert model.classes == ["CARD_CREDIT", "LOAN_MORTGAGE", "WEALTH"]
    assert {"accuracy", "macro_f1", "top3_accuracy", "n_holdout"} <= set(model.metrics)

    suggestions = suggest("信用卡年费被扣", "客户称信用卡年费未告知即扣收，要求退还。")
    assert set(suggestions) == {"category", "cause", "demand"}
    best = suggestions["category"][0]
    assert best.code == "CARD_CREDIT" and best.name == "信用卡" and 0.5 < best.confidence <= 1
    # Guesses below the confidence floor are hidden …
    assert all(s.confidence >= classifier.SUGGESTION_FLOOR for s in suggestions["category"])
    with override_settings(XIAOBAO_SUGGESTION_MIN_CONFIDENCE=0):
        everything = suggest("信用卡年费被扣", "客户称信用卡年费未告知即扣收，要求退还。")
    # … the probabilities of all three still add up to one.
    assert len(everything["category"]) == 3
    assert sum(s.confidence for s in everything["category"]) == pytest.approx(1, abs=0.01)
    with override_settings(XIAOBAO_SUGGESTION_MIN_CONFIDENCE=1.01):
        assert suggest("信用卡年费被扣", "客户称信用卡年费未告知即扣收")["category"] == []
    assert suggestions["cause"][0].code == "PRICING"
    assert suggestions["demand"][0].code == "REFUND"
    assert suggest("", "") == {"category": [], "cause": [], "demand": []}

    # A code retired after training is no longer suggested.
    TaxonomyTerm.objects.filter(code="CARD_CREDIT").update(is_active=False)
    codes = [s.code for s in suggest("信用卡年费被扣", "信用卡年费")["category"]]
    assert "CARD_CREDIT" not in codes


def test_worse_model_is_rejected_and_the_last_good_one_kept(closed_cases):
    old = closed_cases(12, ended_days_ago=30)
    first = classifier_train(target=Target.CATEGORY)
    assert first.outcome == "activated"
    ClassifierModel.objects.filter(pk=first.model.pk).update(
        trained_at=timezone.now() - timedelta(days=20)
    )
    # New, correctly labelled cases arrive; meanwhile the old ones were relabelled wrongly.
    closed_cases(10, ended_days_ago=1)
    rotate = {"CARD_CREDIT": "LOAN_MORTGAGE", "LOAN_MORTGAGE": "WEALTH", "WEALTH": "CARD_CREDIT"}
    terms = {t.code: t for t in TaxonomyTerm.objects.filter(code__in=rotate)}
    for case in Complaint.objects.filter(pk__in=[c.pk for c in old]).select_related(
        "business_category"
    ):
        case.business_category = terms[rotate[case.business_category.code]]
        case.save(update_fields=["business_category"])

    second = classifier_train(target=Target.CATEGORY, min_comparison=5)
    assert second.outcome == "rejected", second.metrics
    comparison = second.metrics["comparison"]
    assert comparison["candidate_accuracy"] < comparison["active_accuracy"]
    assert "unseen" in comparison["basis"]
    rejected = ClassifierModel.objects.get(version=2)
    assert rejected.status == ModelStatus.REJECTED and not bytes(rejected.blob)
    active = ClassifierModel.objects.get(target=Target.CATEGORY, status=ModelStatus.ACTIVE)
    assert active.version == 1
    assert suggest("信用卡年费", "信用卡年费被扣")["category"][0].code == "CARD_CREDIT"

    # Labels put right: the next candidate is as good, so it replaces version 1.
    back = {v: k for k, v in rotate.items()}
    for case in Complaint.objects.filter(pk__in=[c.pk for c in old]).select_related(
        "business_category"
    ):
        case.business_category = terms[back[case.business_category.code]]
        case.save(update_fields=["business_category"])
    third = classifier_train(target=Target.CATEGORY, min_comparison=5)
    assert third.outcome == "activated" and third.model.version == 3
    statuses = dict(ClassifierModel.objects.values_list("version", "status"))
    assert statuses == {1: ModelStatus.RETIRED, 2: ModelStatus.REJECTED, 3: ModelStatus.ACTIVE}


def test_train_command_and_job(closed_cases):
    from xiaobao.jobs.services import enqueue, run_pending

    closed_cases(12, ended_days_ago=10)
    out = io.StringIO()
    call_command("classifier_train", "--target=cause", "--json", stdout=out)
    [result] = json.loads(out.getvalue())
    assert result["target"] == "cause" and result["outcome"] == "activated"

    run_pending()  # the cases' own jobs first
    enqueue("language.train_classifiers", {"targets": ["demand"]})
    assert run_pending() == 1
    assert ClassifierModel.objects.filter(target="demand", status="active").count() == 1


def test_training_takes_only_the_newest_labelled_cases(db, register, people):
    from xiaobao.complaints.models import Complaint
    from xiaobao.language.classifier import labelled_cases

    closed = []
    for i in range(6):
        case = register(title=f"第{i}件")
        Complaint.objects.filter(pk=case.pk).update(status="closed")
        closed.append(case.pk)
    unlabelled = register(title="未分类", business_category=None)
    Complaint.objects.filter(pk=unlabelled.pk).update(status="closed")
    newest = labelled_cases("category", limit=4)
    assert [c.pk for c in newest] == closed[2:]
    assert [c.pk for c in labelled_cases("category", limit=None)] == closed
