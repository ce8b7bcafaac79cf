from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "dabai.routing"
    verbose_name = _("Routing and SLAs")

    def ready(self) -> None:
        from dabai.routing import receivers  # noqa: F401  (connects the signal receivers)
