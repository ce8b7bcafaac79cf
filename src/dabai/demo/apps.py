from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Installed only so that Django finds the ``demo`` management command; it has no models."""

    name = "dabai.demo"
