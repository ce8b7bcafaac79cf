from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "dabai.conversations"
    verbose_name = _("Conversation")

    def ready(self) -> None:
        from dabai.conversations import receivers  # noqa: F401
