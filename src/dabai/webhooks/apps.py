from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "dabai.webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from dabai.webhooks import receivers  # noqa: F401 (connects the signal receivers)
