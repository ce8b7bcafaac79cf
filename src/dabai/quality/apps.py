from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "dabai.quality"
    verbose_name = _("Quality")

    def ready(self) -> None:
        from dabai.quality import receivers  # noqa: F401  (connects the signal receivers)
