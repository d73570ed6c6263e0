from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "xiaobao.organisation"
    verbose_name = _("机构与人员")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from xiaobao.organisation.roles import sync_role_groups

        # Groups are configuration, not data: keep them in step with the code after every migrate.
        # No sender filter: each app's permissions exist only after its own post_migrate step.
        post_migrate.connect(sync_role_groups, dispatch_uid="xiaobao.sync_role_groups")

        from django.contrib.auth.models import Group, Permission

        from xiaobao.lib import memo
        from xiaobao.organisation.models import Unit, User

        # Permissions are kept per process (organisation.backends) until a grant changes.
        memo.bump_on_change(
            memo.PERMISSIONS,
            Group,
            Permission,
            Group.permissions.through,
            User.groups.through,
            User.user_permissions.through,
        )
        memo.bump_on_change(memo.UNITS, Unit)  # `unit_move` bumps itself (it updates in bulk)
