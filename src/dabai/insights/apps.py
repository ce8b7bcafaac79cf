from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "dabai.insights"
    verbose_name = _("Voice of the customer")

    def ready(self) -> None:
        from dabai.insights import receivers  # signal registration

        receivers.connect_follow_ups()
