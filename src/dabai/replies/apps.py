from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepliesConfig(AppConfig):
    name = "dabai.replies"
    verbose_name = _("Replies")

    def ready(self) -> None:
        from dabai.replies import receivers  # noqa: F401  (connects the mention listener)
