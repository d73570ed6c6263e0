"""Roles as Django groups: the default permissions each role carries.

Patterns are `app_label.codename` with shell wildcards, so a role written today also picks up the
permissions of apps added later (e.g. the auditor's `*.view_*`). Syncing only ever adds default
permissions; an administrator may give a group more in the admin.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from django.utils import translation

from xiaobao.lib import memo
from xiaobao.organisation.choices import Role

XIAOBAO_APPS = (
    "organisation",
    "audit",
    "evidence",
    "outreach",
    "plans",
    "governance",
    "complaints",
    "privacy",
    "watch",
    "reports",
    "language",
    "api",
    "axes",
    "inspections",  # inspections
    "assessment",  # assessment
    "partners",  # partners
    "products",  # products
    "training",  # training
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.HQ_CP_OFFICER: (
        "*.view_*",
        "organisation.configure_institution",
        "organisation.change_unit",
        "organisation.add_responsibleperson",
        "organisation.change_responsibleperson",
        "complaints.*",
        "privacy.*",
        "reports.*",
        "watch.*",
        "language.*",
        "outreach.*",
        "plans.*",
        "evidence.add_evidencefile",
        "governance.*",
        "inspections.*",  # inspections
        "assessment.*",  # assessment
        "partners.*",  # partners
        "products.*",  # products
        "training.*",  # training
    ),
    Role.HQ_SENIOR_MANAGER: (
        "*.view_*",
        "complaints.approve_extension_30",
        "complaints.approve_extension_60",
        "reports.view_*",
        "assessment.approve_scheme",  # assessment
        "assessment.decide_appeal",  # assessment
        # The 分管行领导 decides rejected mandatory review opinions.  # products
        "products.decide_escalation",  # products
    ),
    Role.BRANCH_CP_OFFICER: (
        "*.view_*",
        "organisation.add_responsibleperson",
        "organisation.change_responsibleperson",
        "complaints.add_*",
        "complaints.change_*",
        "complaints.handle_complaint",
        "complaints.assign_complaint",
        "complaints.approve_extension_30",
        "complaints.flag_major",
        "complaints.set_legal_hold",
        "privacy.unmask_personal_data",
        "privacy.add_datasubjectrequest",
        "privacy.change_datasubjectrequest",
        "reports.*",
        # Approves the activities of its subtree, records its own, exports its campaign report.
        "outreach.add_activity",
        "outreach.change_activity",
        "outreach.approve_activity",
        "outreach.export_campaign",
        # Its own subtree's plans, and verification of the tasks it issued.
        "plans.*",
        "evidence.add_evidencefile",
        "governance.add_*",
        "governance.change_*",
        # Plans, reviews and publishes the inspections of its subtree.  # inspections
        "inspections.*",  # inspections
        "assessment.add_appeal",  # assessment
        # Links its cases to the partners they involve; keeps the partners its unit owns.
        "partners.add_partner",  # partners
        "partners.change_partner",  # partners
        "partners.add_partnercomplaint",  # partners
        "partners.delete_partnercomplaint",  # partners
        "products.add_riskprofile",  # products
        "products.add_salecheck",  # products
        "products.import_sales",  # products
        "products.change_readvicenotice",  # products
        "products.add_productcomplaint",  # products
        "training.*",  # training
    ),
    Role.HANDLER: (
        "organisation.view_unit",
        "organisation.view_department",
        "organisation.view_user",
        "complaints.view_*",
        "complaints.add_complaint",
        "complaints.handle_complaint",
        "privacy.unmask_personal_data",
        # Outlet staff record the outreach activities of their unit.
        "outreach.view_*",
        "outreach.add_activity",
        "outreach.change_activity",
        "plans.view_task",
        "plans.view_taskprogress",
        "plans.view_taskmilestone",
        "evidence.view_evidencefile",
        # Outlet staff read their inspections, appeal them and record the weekly meeting.  # inspections
        "inspections.view_visit",  # inspections
        "inspections.view_itemresult",  # inspections
        "inspections.view_finding",  # inspections
        "inspections.view_servicemeeting",  # inspections
        "inspections.appeal_visit",  # inspections
        "inspections.add_servicemeeting",  # inspections
        # Names the partner a case involves (涉及合作机构).
        "partners.view_partner",  # partners
        "partners.add_partnercomplaint",  # partners
        # Wealth managers at the counter: risk assessments and suitability checks.  # products
        "products.view_product",  # products
        "products.view_gradechange",  # products
        "products.view_riskprofile",  # products
        "products.view_salecheck",  # products
        "products.view_readvicenotice",  # products
        "products.add_riskprofile",  # products
        "products.add_salecheck",  # products
        "products.change_readvicenotice",  # products
        "training.view_session",  # training
        "training.view_exam",  # training
        "training.view_attempt",  # training
        "training.view_qualification",  # training
    ),
    Role.UNIT_HEAD: (
        "*.view_*",
        "complaints.handle_complaint",
        "complaints.assign_complaint",
        "complaints.approve_extension_30",
        "complaints.approve_extension_60",
        "complaints.flag_major",
        "privacy.unmask_personal_data",
        "outreach.add_activity",
        "outreach.change_activity",
        "plans.approve_plan",
        "inspections.appeal_visit",  # inspections
        "inspections.add_servicemeeting",  # inspections
        "assessment.add_appeal",  # assessment
        "training.approve_trainingplan",  # training
    ),
    Role.BUSINESS_DEPT: (
        "organisation.view_unit",
        "organisation.view_department",
        # Progress and submission of the tasks its department owns (rectification included).
        "plans.view_task",
        "plans.view_taskprogress",
        "plans.view_taskmilestone",
        "plans.report_task",
        "evidence.view_evidencefile",
        "evidence.add_evidencefile",
        # The owning department keeps its partners, agreements, evaluations and exit steps.
        "partners.view_*",  # partners
        "partners.add_partner",  # partners
        "partners.change_partner",  # partners
        "partners.add_agreement",  # partners
        "partners.change_agreement",  # partners
        "partners.add_evaluation",  # partners
        "partners.change_exit",  # partners
        # Product managers submit reviews, answer opinions, register launches.  # products
        "products.view_*",  # products
        "products.add_review",  # products
        "products.answer_opinion",  # products
        "products.register_launch",  # products
        "training.view_session",  # training
        "training.view_exam",  # training
        "training.view_attempt",  # training
        "training.run_session",  # training
    ),
    # Reads everything in scope, changes nothing: only view permissions, ever.
    Role.AUDITOR: ("*.view_*",),
    Role.SYSADMIN: (
        "organisation.*",
        "audit.view_*",
        "auth.*",
        "complaints.view_*",
        "complaints.*_taxonomy*",
        "complaints.*_deadlinepolicy",
        "complaints.*_calendarday",
        "watch.view_scheduledrun",
        # Login lockouts: read them, and unlock by deleting the attempt.
        "axes.view_*",
        "axes.delete_accessattempt",
    ),
    # inspections: an internal inspector records the visits assigned to them.
    Role.INSPECTOR: (
        "organisation.view_unit",
        "inspections.view_*",
        "inspections.record_visit",
        "evidence.view_evidencefile",
        "evidence.add_evidencefile",
    ),
    # inspections: a vendor's mystery shopper: its assigned visits only, nothing else.
    Role.INSPECTION_VENDOR: ("inspections.record_visit",),
    # products: the CP office reviewer (消保审查员) issues opinions and conclusions.
    Role.PRODUCT_REVIEWER: (
        "organisation.view_unit",
        "organisation.view_department",
        "organisation.view_user",
        "products.*",
        "evidence.view_evidencefile",
        "evidence.add_evidencefile",
    ),
    Role.TRAINING_ADMIN: (  # training
        "organisation.view_unit",
        "organisation.view_department",
        "organisation.view_user",
        "training.*",
        "plans.view_*",
        "evidence.view_evidencefile",
        "reports.view_*",
    ),
}


# Permissions a wildcard above would give but the role must not have: the 60-day extension is
# approved by the upper-level unit's head or a head-office senior manager (Art. 18), not by the
# head-office officer whose `complaints.*` would otherwise include it.
ROLE_EXCLUDED: dict[str, tuple[str, ...]] = {
    Role.HQ_CP_OFFICER: (
        "complaints.approve_extension_60",
        "products.decide_escalation",  # products
    ),
    Role.PRODUCT_REVIEWER: ("products.decide_escalation",),  # products
}


def group_name(role: str) -> str:
    """The group's name is the role's Chinese label, whatever language the current request uses."""
    with translation.override("zh-hans"):
        return str(Role(role).label)


def _matches(perm_key: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(perm_key, pattern) for pattern in patterns)


def sync_role_groups(**kwargs: Any) -> None:
    """Create one group per role and give it its default permissions (additive, idempotent)."""
    from django.contrib.auth.models import Group, Permission

    perms = list(
        Permission.objects.select_related("content_type").filter(
            content_type__app_label__in=(*XIAOBAO_APPS, "auth")
        )
    )
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        excluded = ROLE_EXCLUDED.get(role, ())
        wanted = [
            p
            for p in perms
            if _matches(key := f"{p.content_type.app_label}.{p.codename}", patterns)
            and not _matches(key, excluded)
        ]
        if role == Role.AUDITOR:
            wanted = [p for p in wanted if p.codename.startswith("view_")]
        group.permissions.add(*wanted)
        # Additive otherwise, but an excluded right is taken back from groups synced before.
        group.permissions.remove(
            *[p for p in perms if _matches(f"{p.content_type.app_label}.{p.codename}", excluded)]
        )


def user_roles(user: Any) -> set[str]:
    """The roles `user` holds. Kept per process under the permissions stamp, which any change
    of a group or of a membership bumps: the menu and the permission checks of one page asked
    for them three times, one query each."""
    if getattr(user, "pk", None) is None:
        return set()
    return set(
        memo.remembered(("roles", user.pk), lambda: _read_roles(user), stamp=memo.PERMISSIONS)
    )


def _read_roles(user: Any) -> frozenset[str]:
    names = {group_name(role.value): role.value for role in Role}
    return frozenset(names[g.name] for g in user.groups.all() if g.name in names)
