"""Who may change the whole institution's configuration, and who may enter the admin site.

Global configuration (deadline policies, the working calendar, taxonomies, report templates,
thresholds, retention, roles) applies to every branch, so only a head-office member of staff
holding the explicit `organisation.configure_institution` permission may change it. The admin
site is a configuration tool: administrators and configuration roles use it, and auditors read
it (their role only ever holds view permissions, see roles.py); everyone else works in the
workbench.
"""

from __future__ import annotations

from typing import Any

from xiaobao.organisation.choices import Role

CONFIGURE_PERMISSION = "organisation.configure_institution"


def is_head_office(user: Any) -> bool:
    unit = getattr(user, "unit", None)
    return unit is not None and unit.parent_id is None


def can_configure(user: Any) -> bool:
    """May `user` change institution-wide configuration?"""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    return bool(user.is_superuser or (is_head_office(user) and user.has_perm(CONFIGURE_PERMISSION)))


def is_administrator(user: Any) -> bool:
    from xiaobao.organisation.roles import user_roles

    return bool(user.is_superuser or Role.SYSADMIN in user_roles(user))


def can_use_admin(user: Any) -> bool:
    """The admin site is for administrators, configuration roles and (read-only) auditors."""
    from xiaobao.organisation.roles import user_roles

    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
        return False
    return is_administrator(user) or can_configure(user) or Role.AUDITOR in user_roles(user)
