"""The annual work plan (年度工作计划) and the one task engine (督办) every programme part uses.

A `Task` is any "someone must fix or do something by a date": a plan measure's work, a complaint's
rectification (溯源整改), later an inspection finding or a review opinion. Its source is a generic
link plus a `source_kind`, so this app never imports the apps that create tasks.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.plans.choices import (
    Comparator,
    PlanStatus,
    RegulatorElement,
    TaskSourceKind,
    TaskStatus,
    YearEndResult,
)

USER = settings.AUTH_USER_MODEL


class Plan(models.Model):
    """One unit's consumer-protection work plan for one year."""

    scope_unit_field: ClassVar[str] = "unit"

    year = models.PositiveSmallIntegerField(_("年度"))
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("标题"), max_length=200)
    basis = models.TextField(_("制定依据"), blank=True)
    goals = models.TextField(_("总体目标"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级计划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="branch_plans",
    )
    copied_from = models.ForeignKey(
        "self",
        verbose_name=_("沿用自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="copies",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    created_by = models.ForeignKey(
        USER, verbose_name=_("起草人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        USER,
        verbose_name=_("批准人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    approval_note = models.CharField(_("审批说明"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作计划")
        verbose_name_plural = _("工作计划")
        ordering = ["-year", "unit__path", "id"]
        permissions = [("approve_plan", _("可以审批工作计划"))]
        indexes = [models.Index(fields=["unit", "year"], name="plan_unit_year_idx")]

    def __str__(self) -> str:
        return self.title


class Measure(models.Model):
    """One numbered measure of a plan (二、工作措施 1. …), served by tasks."""

    scope_unit_field: ClassVar[str] = "plan__unit"

    plan = models.ForeignKey(
        Plan, verbose_name=_("工作计划"), on_delete=models.CASCADE, related_name="measures"
    )
    number = models.PositiveSmallIntegerField(_("序号"))
    heading = models.CharField(_("标题"), max_length=200)
    text = models.TextField(_("内容"), blank=True)
    lead_department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("牵头部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    element = models.CharField(
        _("监管评价要素"), max_length=20, choices=RegulatorElement.choices, blank=True
    )
    # The head-office measure a branch plan's measure inherits (cascade).
    inherited_from = models.ForeignKey(
        "self",
        verbose_name=_("继承自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inheritors",
    )

    class Meta:
        verbose_name = _("工作措施")
        verbose_name_plural = _("工作措施")
        ordering = ["plan", "number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="measure_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.heading}"


class Task(models.Model):
    """One piece of work someone owes by a date, whatever created it (督办事项)."""

    # Seen by staff over the owning unit and by the office that must verify it.
    scope_unit_field: ClassVar[str] = "owner_unit"
    scope_unit_fields: ClassVar[tuple[str, ...]] = ("owner_unit", "issuing_unit")

    source_kind = models.CharField(
        _("来源类型"), max_length=32, choices=TaskSourceKind.choices, default=TaskSourceKind.OTHER
    )
    source_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("来源对象类型"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_id = models.PositiveBigIntegerField(_("来源对象编号"), null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    source_label = models.CharField(_("来源"), max_length=200, blank=True)
    source_url = models.CharField(_("来源链接"), max_length=200, blank=True)
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("工作计划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    measure = models.ForeignKey(
        Measure,
        verbose_name=_("工作措施"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    issuing_unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("督办机构"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_by = models.ForeignKey(
        USER,
        verbose_name=_("下达人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner_unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("责任机构"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner_department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible = models.ForeignKey(
        USER,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    co_units = models.ManyToManyField(
        "organisation.Unit", verbose_name=_("协办机构"), blank=True, related_name="+"
    )
    co_departments = models.ManyToManyField(
        "organisation.Department", verbose_name=_("协办部门"), blank=True, related_name="+"
    )
    title = models.CharField(_("任务"), max_length=200)
    description = models.TextField(_("要求"), blank=True)
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    due_date = models.DateField(_("完成期限"))
    target_metric = models.CharField(_("量化指标"), max_length=80, blank=True)
    target_comparator = models.CharField(
        _("比较"), max_length=4, choices=Comparator.choices, blank=True
    )
    target_value = models.DecimalField(
        _("目标值"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    progress_pct = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    status = models.CharField(
        _("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    created_at = models.DateTimeField(_("创建时间"))
    submitted_at = models.DateTimeField(_("提交验收时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        USER,
        verbose_name=_("验收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    completion_note = models.TextField(_("完成情况"), blank=True)
    carried_over_from = models.ForeignKey(
        "self",
        verbose_name=_("结转自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="carried_over_to",
    )
    # Cascade: the head-office task a branch's task was spawned from.
    cascaded_from = models.ForeignKey(
        "self",
        verbose_name=_("分解自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cascaded_tasks",
    )
    year_end_result = models.CharField(
        _("年末完成情况"), max_length=10, choices=YearEndResult.choices, blank=True
    )
    year_end_reason = models.TextField(_("年末说明"), blank=True)
    # When the reminder sweep must next look at this task; null once nothing is left to remind.
    next_check_at = models.DateTimeField(_("下次检查"), null=True, blank=True)

    class Meta:
        verbose_name = _("督办任务")
        verbose_name_plural = _("督办任务")
        ordering = ["due_date", "id"]
        permissions = [
            ("verify_task", _("可以验收督办任务")),
            ("report_task", _("可以报送任务进度")),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"], name="task_status_due_idx"),
            models.Index(fields=["source_type", "source_id"], name="task_source_idx"),
            models.Index(fields=["owner_unit", "status"], name="task_owner_idx"),
            models.Index(
                fields=["next_check_at"],
                name="task_next_check_idx",
                condition=models.Q(next_check_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (
            TaskStatus.OPEN,
            TaskStatus.IN_PROGRESS,
            TaskStatus.SUBMITTED,
            TaskStatus.RETURNED,
        )


class TaskMilestone(models.Model):
    """An intermediate date inside a task (e.g. 方案制定 by March, 培训完成 by June)."""

    scope_unit_field: ClassVar[str] = "task__owner_unit"
    scope_unit_fields: ClassVar[tuple[str, ...]] = ("task__owner_unit", "task__issuing_unit")

    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("节点"), max_length=200)
    due_date = models.DateField(_("节点期限"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("任务节点")
        verbose_name_plural = _("任务节点")
        ordering = ["task", "due_date", "id"]

    def __str__(self) -> str:
        return self.title


class TaskProgress(models.Model):
    """One progress report on a task (percentage and text; evidence files hang off the task)."""

    scope_unit_field: ClassVar[str] = "task__owner_unit"
    scope_unit_fields: ClassVar[tuple[str, ...]] = ("task__owner_unit", "task__issuing_unit")

    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="progress"
    )
    at = models.DateTimeField(_("时间"))
    by = models.ForeignKey(
        USER, verbose_name=_("报送人"), on_delete=models.PROTECT, related_name="+"
    )
    pct = models.PositiveSmallIntegerField(_("进度（%）"))
    text = models.TextField(_("进展情况"))

    class Meta:
        verbose_name = _("任务进展")
        verbose_name_plural = _("任务进展")
        ordering = ["task", "at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.pct}%"


class TaskReminder(models.Model):
    """One reminder or escalation step fired for a task: once per threshold per deadline."""

    scope_unit_field: ClassVar[str] = "task__owner_unit"
    scope_unit_fields: ClassVar[tuple[str, ...]] = ("task__owner_unit", "task__issuing_unit")

    task = models.ForeignKey(
        Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="reminders"
    )
    step = models.CharField(_("提醒节点"), max_length=32)
    due_date = models.DateField(_("对应期限"))
    fired_at = models.DateTimeField(_("发出时间"))

    class Meta:
        verbose_name = _("任务提醒")
        verbose_name_plural = _("任务提醒")
        ordering = ["task", "fired_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "step", "due_date"], name="task_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.step} {self.due_date}"
