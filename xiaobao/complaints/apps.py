from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "xiaobao.complaints"
    verbose_name = _("投诉管理")

    def ready(self) -> None:
        from django.core import checks

        from xiaobao.complaints import calendar, retention, services
        from xiaobao.complaints.models import CalendarDay, DeadlinePolicy, TaxonomyTerm
        from xiaobao.lib import memo
        from xiaobao.organisation.hooks import on_unit_move
        from xiaobao.privacy.registry import register_retention

        checks.register(calendar.calendar_check, checks.Tags.database)
        # Every process keeps these tables in memory (lib.memo) until one of them changes.
        memo.bump_on_change(memo.POLICIES, DeadlinePolicy)
        memo.bump_on_change(memo.CALENDAR, CalendarDay)
        memo.bump_on_change(memo.TAXONOMY, TaxonomyTerm)
        # A sub-branch moved in the tree: each of its open cases says so on its timeline.
        on_unit_move(services.complaints_record_unit_move)

        register_retention(
            "complaints", check=retention.reasons_to_keep, job=retention.anonymise_expired
        )
