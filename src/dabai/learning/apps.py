from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    """Agents teach the filter: model versions trained from their corrections, one active at a time."""

    name = "dabai.learning"
    verbose_name = _("Filter learning")

    def ready(self) -> None:
        from dabai.conversations.filtering import register_model_provider
        from dabai.learning.selectors import active_model_path

        register_model_provider(active_model_path)
