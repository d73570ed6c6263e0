"""Demo data of the language app: classifiers trained on the demo registry, so the registration
form shows suggestions from the first page (`seed_demo` runs this after the complaints' demo)."""

from __future__ import annotations

from typing import Any

from xiaobao.language.choices import ModelStatus
from xiaobao.language.classifier import classifier_train_all
from xiaobao.language.models import ClassifierModel


def seed_demo(*, stdout: Any) -> None:
    if ClassifierModel.objects.filter(status=ModelStatus.ACTIVE).exists():
        stdout.write("分类模型已存在，跳过训练。")
        return
    results = classifier_train_all()
    summary = "，".join(f"{r.target} {r.outcome}" for r in results)
    stdout.write(f"已用演示投诉训练分类模型（{summary}）。")
