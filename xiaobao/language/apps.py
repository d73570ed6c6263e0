from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LanguageConfig(AppConfig):
    name = "xiaobao.language"
    verbose_name = _("中文检索与智能分类")

    def ready(self) -> None:
        from xiaobao.complaints.hooks import on_chunk, on_event
        from xiaobao.language.services import search_index_on_event, search_index_spill

        on_event(search_index_on_event)
        on_chunk(search_index_spill)
