from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    HEAD_OFFICE = "head_office", _("总行")
    BRANCH = "branch", _("分行")
    SUB_BRANCH = "sub_branch", _("支行")
    OUTLET = "outlet", _("网点")


class DepartmentFunction(models.TextChoices):
    CONSUMER_PROTECTION = "consumer_protection", _("消费者权益保护")
    RETAIL = "retail", _("零售金融")
    CREDIT = "credit", _("授信管理")
    CREDIT_CARD = "credit_card", _("信用卡")
    WEALTH = "wealth", _("财富管理")
    OPERATIONS = "operations", _("运营管理")
    LEGAL_COMPLIANCE = "legal_compliance", _("法律合规")
    AUDIT = "audit", _("审计")
    TECHNOLOGY = "technology", _("信息科技")
    OTHER = "other", _("其他")


class ResponsibilityDuty(models.TextChoices):
    CP_LEAD = "cp_lead", _("消费者权益保护工作负责人")
    COMPLAINT_LEAD = "complaint_lead", _("投诉处理工作负责人")
    COMPLAINT_CONTACT = "complaint_contact", _("投诉处理联络人")
    PI_LEAD = "pi_lead", _("个人信息保护负责人")


class Role(models.TextChoices):
    """Staff roles; each maps to one Django group carrying its permissions (see roles.py)."""

    HQ_CP_OFFICER = "hq_cp_officer", _("总行消保专员")
    # Approves 60-day extensions (Art. 18) with the upper-level unit's head; not an officer's right.
    HQ_SENIOR_MANAGER = "hq_senior_manager", _("总行高级管理人员")
    BRANCH_CP_OFFICER = "branch_cp_officer", _("分支机构消保专员")
    HANDLER = "handler", _("投诉处理人员")
    UNIT_HEAD = "unit_head", _("机构负责人")
    BUSINESS_DEPT = "business_dept", _("业务部门人员")
    AUDITOR = "auditor", _("审计人员")
    SYSADMIN = "sysadmin", _("系统管理员")
    PRODUCT_REVIEWER = "product_reviewer", _("消保审查员")  # products
