from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaobao.organisation.choices import (
    DepartmentFunction,
    ResponsibilityDuty,
    StaffCategory,
    UnitKind,
)

PATH_SEGMENT_WIDTH = 8


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT_WIDTH}d}/"


class Unit(models.Model):
    """One node of the institution tree (head office, branch, sub-branch, outlet …)."""

    # The unit's own path is the scope key: a user sees rows whose unit path starts with theirs.
    scope_unit_field: ClassVar[str] = ""

    code = models.CharField(
        _("机构代码"),
        max_length=32,
        unique=True,
        error_messages={"unique": _("机构代码已存在，请换一个。")},
    )
    name = models.CharField(_("机构名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    kind = models.CharField(_("机构层级"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of primary keys ("00000001/00000004/"), kept by services, never by hand.
    path = models.CharField(_("路径"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("层级深度"), default=0, editable=False)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    customer_count = models.PositiveIntegerField(
        _("客户数"), null=True, blank=True, help_text=_("用于计算每万名客户投诉量")
    )
    is_active = models.BooleanField(_("在用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["path"]
        # Institution-wide configuration (policies, calendar, taxonomies, templates, thresholds,
        # retention, roles): held by head-office roles only, see organisation/configuration.py.
        permissions = [("configure_institution", _("修改全机构配置"))]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="unit_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("机构不能以自己为上级。")})
        if (
            self.pk
            and self.path
            and self.parent is not None
            and self.parent.path.startswith(self.path)
        ):
            raise ValidationError(
                {"parent": _("不能把机构移到它自己的下级机构之下（会形成循环）。")}
            )

    def is_ancestor_of(self, other: Unit) -> bool:
        return other.path.startswith(self.path) and other.pk != self.pk

    def contains(self, other: Unit) -> bool:
        """True if `other` is this unit or lies in its subtree."""
        return other.path.startswith(self.path)

    def ancestors(self) -> models.QuerySet[Unit]:
        ids = [int(seg) for seg in self.path.strip("/").split("/") if seg]
        return Unit.objects.filter(pk__in=ids[:-1]).order_by("depth")

    def subtree(self) -> models.QuerySet[Unit]:
        return Unit.objects.filter(path__startswith=self.path)


class Department(models.Model):
    """A department inside a unit (消保办, 零售金融部 …)."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey(
        Unit, verbose_name=_("所属机构"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.CharField(_("部门代码"), max_length=32)
    name = models.CharField(_("部门名称"), max_length=100)
    function = models.CharField(
        _("职能"),
        max_length=32,
        choices=DepartmentFunction.choices,
        default=DepartmentFunction.OTHER,
    )
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["unit__path", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "code"],
                name="department_code_unique_in_unit",
                violation_error_message=_("该机构下已有相同代码的部门。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit.name}·{self.name}"


class XiaobaoUserManager(UserManager["User"]):
    """Staff always belong to a unit, so the command-line superuser gets the root unit."""

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        if extra_fields.get("unit") is None and extra_fields.get("unit_id") is None:
            root = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
            if root is None:
                raise ValueError("请先建立总行机构，再创建超级管理员。")
            extra_fields["unit"] = root
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A member of staff, attached to exactly one unit; roles are Django groups."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属机构"),
        on_delete=models.PROTECT,
        related_name="staff",
        error_messages={"null": _("员工必须属于一个机构。")},
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("办公电话"), max_length=30, blank=True)
    title = models.CharField(_("职务"), max_length=50, blank=True)
    # training: who the staff member is for coverage, sellers' qualifications and new-hire rules.
    staff_category = models.CharField(
        _("人员类别"), max_length=20, choices=StaffCategory.choices, blank=True
    )
    position = models.CharField(_("岗位"), max_length=50, blank=True)
    hire_date = models.DateField(_("入职日期"), null=True, blank=True)
    is_seller = models.BooleanField(
        _("销售理财/保险等产品"), default=False, help_text=_("须持有有效的销售资格")
    )

    objects = XiaobaoUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        ordering = ["unit__path", "username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        department = self.department
        if department is not None and self.unit_id and department.unit_id != self.unit_id:
            raise ValidationError({"department": _("所选部门不属于该员工的机构。")})


class ResponsiblePerson(models.Model):
    """Who is in charge of consumer protection / complaints at a unit, and since when (for regulators)."""

    scope_unit_field: ClassVar[str] = "unit"

    unit = models.ForeignKey(
        Unit, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="responsible_persons"
    )
    duty = models.CharField(_("职责"), max_length=32, choices=ResponsibilityDuty.choices)
    user = models.ForeignKey(
        User,
        verbose_name=_("员工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsibilities",
    )
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    start_date = models.DateField(_("任职起始日"))
    end_date = models.DateField(_("任职终止日"), null=True, blank=True)

    class Meta:
        verbose_name = _("负责人登记")
        verbose_name_plural = _("负责人登记")
        ordering = ["unit__path", "duty", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="responsible_person_dates_ordered",
                violation_error_message=_("任职终止日不能早于起始日。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit.name} {self.get_duty_display()}：{self.name}"

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("任职终止日不能早于起始日。")})
