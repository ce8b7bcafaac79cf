from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListeningConfig(AppConfig):
    name = "dabai.listening"
    verbose_name = _("Social listening")

    def ready(self) -> None:
        from dabai.listening import receivers  # noqa: F401 (connects the signal receivers)
