"""Every state change of a conversation, one function each (like Zulip's actions), by subdomain.

Callers import from here (``from dabai.conversations.services import post_reply``); the modules are the map:
``intake`` (customer messages arriving live), ``insights`` (the filter's readings and agents' corrections),
``history`` (past conversations stored as they were), ``replies`` (what the centre writes), ``workflow``
(assignment and status).
"""

from dabai.conversations.services.history import PastConversation, PastMessage, record_history
from dabai.conversations.services.insights import (
    CORRECTION_LABELS,
    INSIGHT_FIELDS,
    URGENCY_PRIORITY,
    InvalidCorrection,
    correct_insight,
    read_messages,
    store_insight,
    store_insights,
)
from dabai.conversations.services.intake import (
    COUNTED_FIELDS,
    PREVIEW_LENGTH,
    Inbound,
    Received,
    receive_feedback,
    receive_message,
    receive_messages,
)
from dabai.conversations.services.replies import add_note, post_reply, start_conversation
from dabai.conversations.services.workflow import assign, change_status
from dabai.filter import analyse_many, mask

__all__ = [
    "CORRECTION_LABELS",
    "COUNTED_FIELDS",
    "INSIGHT_FIELDS",
    "PREVIEW_LENGTH",
    "URGENCY_PRIORITY",
    "Inbound",
    "InvalidCorrection",
    "PastConversation",
    "PastMessage",
    "Received",
    "add_note",
    "analyse_many",
    "assign",
    "change_status",
    "correct_insight",
    "mask",
    "post_reply",
    "read_messages",
    "receive_feedback",
    "receive_message",
    "receive_messages",
    "record_history",
    "start_conversation",
    "store_insight",
    "store_insights",
]
