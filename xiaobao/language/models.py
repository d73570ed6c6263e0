"""The search index's documents and the stored, versioned text classifiers."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.language.choices import ModelStatus, Target


class SearchDocument(models.Model):
    """One complaint's segmented text, as the database's full-text index sees it.

    The native index lives beside this table and is kept by the database itself: on SQLite an
    FTS5 table filled by triggers, on PostgreSQL a generated, weighted `tsvector` column with a GIN
    index (both created in migration 0002). Scope is never copied here: searches join through the
    complaint and its unit, so moving a unit never leaves stale scope behind.
    """

    scope_unit_field: ClassVar[str] = "complaint__unit"

    complaint = models.OneToOneField(
        "complaints.Complaint",
        verbose_name=_("投诉"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="search_document",
    )
    title_tokens = models.TextField(_("标题分词"))
    body_tokens = models.TextField(_("正文分词"))
    # The redacted original text, for snippets; tokens alone cannot be shown to people.
    title = models.TextField(_("标题"))
    body = models.TextField(_("正文"))
    analyzer_version = models.PositiveSmallIntegerField(_("分词版本"))
    indexed_at = models.DateTimeField(_("索引时间"))

    class Meta:
        verbose_name = _("检索文档")
        verbose_name_plural = _("检索文档")

    def __str__(self) -> str:
        return f"{self.complaint_id}"


class ClassifierModel(models.Model):
    """One trained version of the classifier for one axis; the active one makes suggestions."""

    scope_unit_field: ClassVar[str | None] = None  # institution-wide, like the taxonomy

    target = models.CharField(_("分类维度"), max_length=16, choices=Target.choices)
    version = models.PositiveIntegerField(_("版本"))
    status = models.CharField(_("状态"), max_length=16, choices=ModelStatus.choices)
    trained_at = models.DateTimeField(_("训练时间"))
    n = models.PositiveIntegerField(_("训练样本数"))
    classes = models.JSONField(_("类别"), default=list)
    metrics = models.JSONField(_("评估指标"), default=dict)
    # joblib bytes of the fitted scikit-learn pipeline; empty for rejected candidates.
    blob = models.BinaryField(_("模型数据"), blank=True, editable=False)
    sklearn_version = models.CharField(_("scikit-learn 版本"), max_length=20)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("分类模型")
        verbose_name_plural = _("分类模型")
        ordering = ["target", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["target", "version"], name="classifier_version_unique"),
            models.UniqueConstraint(
                fields=["target"],
                condition=models.Q(status="active"),
                name="classifier_one_active_per_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} v{self.version} ({self.get_status_display()})"
