"""The navigation registry: each app declares its menu entries; `base.html` renders them.

An app lists its entries in its own `menu.py` (found automatically):

    from xiaobao.front.nav import entry
    entry("plans", _("工作计划"), "plans:list", permission="plans.view_plan", order=10)

The staff interface has fixed areas (投诉, 宣传教育, 培训, 检查, 产品与合作机构, 考核, 计划与任务,
统计报表, 系统管理). An area with no entry the user may see is not shown; the areas a role
works in come first (a handler's complaints, a department's tasks, an auditor's reports). A new
app adds entries without editing `base.html`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from xiaobao.organisation.choices import Role


@dataclass(frozen=True)
class Area:
    key: str
    label: Any


AREAS: tuple[Area, ...] = (
    Area("complaints", _("投诉")),
    Area("education", _("宣传教育")),
    Area("training", _("培训")),
    Area("inspections", _("检查")),
    Area("products", _("产品与合作机构")),
    Area("assessment", _("考核")),
    Area("plans", _("计划与任务")),
    Area("reports", _("统计报表")),
    Area("admin", _("系统管理")),
)
AREA_KEYS = {a.key for a in AREAS}

# What each role works on, first; the other areas follow in the order above.
ROLE_FIRST: dict[str, tuple[str, ...]] = {
    Role.HANDLER: ("complaints",),
    Role.UNIT_HEAD: ("complaints", "reports"),
    Role.BRANCH_CP_OFFICER: ("complaints", "plans"),
    Role.HQ_CP_OFFICER: ("complaints", "plans", "reports"),
    Role.BUSINESS_DEPT: ("plans",),
    Role.AUDITOR: ("reports", "plans"),
    Role.SYSADMIN: ("admin",),
    Role.PRODUCT_REVIEWER: ("products",),  # products
}

Permission = str | Callable[[Any], bool] | None


@dataclass(frozen=True)
class Entry:
    area: str
    label: Any
    url_name: str
    permission: Permission = None
    order: int = 50
    # Which pages mark the entry current: "app:name" or "app:*"; default the entry's own page.
    current: tuple[str, ...] = ()

    def allowed(self, user: Any) -> bool:
        if self.permission is None:
            return True
        if callable(self.permission):
            return bool(self.permission(user))
        return bool(user.has_perm(self.permission))

    def is_current(self, match: Any) -> bool:
        if match is None:
            return False
        here = f"{match.namespace}:{match.url_name}"
        for pattern in self.current or (self.url_name,):
            if pattern == here or (pattern.endswith(":*") and match.namespace == pattern[:-2]):
                return True
        return False


_ENTRIES: dict[tuple[str, str], Entry] = {}
_discovered = False


def entry(
    area: str,
    label: Any,
    url_name: str,
    *,
    permission: Permission = None,
    order: int = 50,
    current: tuple[str, ...] = (),
) -> Entry:
    """Declare one menu entry (re-declaring the same area and page replaces it)."""
    if area not in AREA_KEYS:
        raise ValueError(f"unknown navigation area {area!r}")
    item = Entry(area, label, url_name, permission, order, current)
    _ENTRIES[(area, url_name)] = item
    return item


def discover() -> None:
    global _discovered
    if _discovered:
        return
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("menu")
    _discovered = True


def entries() -> list[Entry]:
    discover()
    return sorted(_ENTRIES.values(), key=lambda e: (e.area, e.order, e.url_name))


@dataclass(frozen=True)
class Link:
    label: Any
    url: str
    current: bool


@dataclass(frozen=True)
class Section:
    area: Area
    links: list[Link]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


def area_order(user: Any) -> list[str]:
    from xiaobao.organisation.roles import user_roles

    first: list[str] = []
    for role in sorted(user_roles(user), key=lambda r: list(Role.values).index(r)):
        first += [a for a in ROLE_FIRST.get(role, ()) if a not in first]
    return first + [a.key for a in AREAS if a.key not in first]


# (URLconf, script prefix, URL name) → path: the menu's forty links were reversed on every page.
_URLS: dict[tuple[Any, str, str], str | None] = {}


def _url(name: str) -> str | None:
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), name)
    if key not in _URLS:
        try:
            _URLS[key] = reverse(name)
        except NoReverseMatch:
            _URLS[key] = None
    return _URLS[key]


def warm_up() -> None:
    """Reverse every menu link once (a preloading server's master does, for its workers)."""
    for item in entries():
        _url(item.url_name)


def menu(user: Any, match: Any = None) -> list[Section]:
    """The areas this user may see, their first areas first, each with its allowed links."""
    if not getattr(user, "is_authenticated", False):
        return []
    by_area: dict[str, list[Link]] = {}
    for item in entries():
        if not item.allowed(user):
            continue
        url = _url(item.url_name)
        if url is None:
            continue  # an app that is not installed in this deployment
        by_area.setdefault(item.area, []).append(Link(item.label, url, item.is_current(match)))
    areas = {a.key: a for a in AREAS}
    return [Section(areas[k], by_area[k]) for k in area_order(user) if by_area.get(k)]
