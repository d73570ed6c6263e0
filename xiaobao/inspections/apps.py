from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "xiaobao.inspections"
    verbose_name = _("服务检查")

    def ready(self) -> None:
        from xiaobao.inspections.services import finding_task_changed
        from xiaobao.plans.hooks import on_task_change

        on_task_change("inspections.finding")(finding_task_changed)
