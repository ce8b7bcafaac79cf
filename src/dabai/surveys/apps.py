from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "dabai.surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from dabai.surveys import receivers  # noqa: F401 (connects the worker-start receiver)
