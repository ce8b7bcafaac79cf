from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "dabai.knowledge"
    verbose_name = _("Knowledge and self-service")

    def ready(self) -> None:
        from dabai.knowledge import receivers  # noqa: F401 (signal registration)
