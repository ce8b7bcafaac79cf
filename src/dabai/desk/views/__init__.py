"""The agent's workspace: the list (``workspace``), the conversation pane (``conversation``), the reply box
(``reply``) and bulk actions (``bulk``)."""

from dabai.desk.views.bulk import bulk
from dabai.desk.views.conversation import (
    conversation_detail,
    conversation_thread,
    next_conversation,
    recording,
    set_assignee,
    set_status,
    snooze,
    wake,
)
from dabai.desk.views.reply import correct_label, draft, mentions_read, reveal, send
from dabai.desk.views.workspace import inbox

__all__ = [
    "bulk",
    "conversation_detail",
    "conversation_thread",
    "correct_label",
    "draft",
    "inbox",
    "mentions_read",
    "next_conversation",
    "recording",
    "reveal",
    "send",
    "set_assignee",
    "set_status",
    "snooze",
    "wake",
]
