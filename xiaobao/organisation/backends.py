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
