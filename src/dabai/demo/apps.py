from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Installed only so that Django finds the ``demo`` management command; it has no models."""

    name = "dabai.demo"
    verbose_name = _("Demo centre")
