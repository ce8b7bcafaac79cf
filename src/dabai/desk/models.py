"""What the workspace remembers per agent: when each conversation was last opened (the unread marker)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dabai.conversations.models import Conversation


class ConversationRead(models.Model):
    """An agent opened the conversation at ``read_at``: a later customer message makes it unread again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("Read at"))

    class Meta:
        verbose_name = _("Conversation read")
        verbose_name_plural = _("Conversations read")
        constraints = [
            models.UniqueConstraint(fields=["user", "conversation"], name="desk_read_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read #{self.conversation_id} at {self.read_at:%Y-%m-%d %H:%M}"
