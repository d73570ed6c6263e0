"""Django's model backend, with each user's permissions kept per process (`lib.memo`).

Every request that checks a permission read the user's own and their groups' grants: two
queries per request for data that changes when an administrator edits a role. They are kept
under the `permissions` stamp, which any change of a group, a permission or a grant bumps
(`OrganisationConfig.ready`). Activity and superuser status are read from the user row the
request loads anyway, as Django does.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from xiaobao.lib import memo


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        # Every page scopes its reads by the user's unit (organisation.scope) and shows its
        # name: read it with the user instead of in a second query.
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("unit").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return self._kept("user", user_obj, obj)

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return self._kept("group", user_obj, obj)

    def _kept(self, source: str, user_obj: Any, obj: Any) -> set[str]:
        read = super().get_user_permissions if source == "user" else super().get_group_permissions
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return read(user_obj, obj)
        # The superuser's "all permissions" are the same for every superuser.
        key = ("permissions", source, "superuser" if user_obj.is_superuser else user_obj.pk)
        return set(memo.remembered(key, lambda: frozenset(read(user_obj)), stamp=memo.PERMISSIONS))


def every_users_grants() -> dict[Any, frozenset[str]]:
    """What `CachedModelBackend` and `roles.user_roles` keep per user, for every active user at
    once, under their own keys: a preloading server's master primes its memory with it
    (`lib.warm`), so no worker reads a user's grants and roles at that user's first page. Three
    reads in all; users with the same groups share one set."""
    from django.contrib.auth.models import Group, Permission

    from xiaobao.organisation.choices import Role
    from xiaobao.organisation.roles import group_name

    user_model = get_user_model()
    active = user_model._default_manager.filter(is_active=True)
    shared: dict[frozenset[str], frozenset[str]] = {}

    def one(names: set[str]) -> frozenset[str]:
        value = frozenset(names)
        return shared.setdefault(value, value)

    everything = one(
        {
            f"{app}.{code}"
            for app, code in Permission.objects.values_list("content_type__app_label", "codename")
        }
    )
    by_group: dict[int, set[str]] = {}
    for group_id, app, code in Group.permissions.through.objects.values_list(
        "group_id", "permission__content_type__app_label", "permission__codename"
    ):
        by_group.setdefault(group_id, set()).add(f"{app}.{code}")
    own: dict[Any, set[str]] = {}
    for user_id, app, code in user_model.user_permissions.through.objects.filter(
        user__is_active=True
    ).values_list("user_id", "permission__content_type__app_label", "permission__codename"):
        own.setdefault(user_id, set()).add(f"{app}.{code}")
    groups: dict[Any, list[tuple[int, str]]] = {}
    for user_id, group_id, name in user_model.groups.through.objects.filter(
        user__is_active=True
    ).values_list("user_id", "group_id", "group__name"):
        groups.setdefault(user_id, []).append((group_id, name))
    roles = {group_name(role.value): role.value for role in Role}
    out: dict[Any, frozenset[str]] = {
        ("permissions", "user", "superuser"): everything,
        ("permissions", "group", "superuser"): everything,
    }
    for pk, is_superuser in active.values_list("pk", "is_superuser"):
        mine = groups.get(pk, [])
        out[("roles", pk)] = one({roles[name] for _, name in mine if name in roles})
        if not is_superuser:
            out[("permissions", "user", pk)] = one(own.get(pk, set()))
            out[("permissions", "group", pk)] = one(
                set().union(*(by_group.get(group_id, set()) for group_id, _ in mine))
            )
    return out
