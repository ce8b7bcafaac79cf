from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "dabai.outreach"
    verbose_name = _("Outreach")

    def ready(self) -> None:
        from dabai.outreach import receivers  # noqa: F401 (connects the signal receivers)
