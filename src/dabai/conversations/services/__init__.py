"""Every state change of a conversation, one function each (like Zulip's actions), by subdomain.

Callers import from here (``from dabai.conversations.services import post_reply``); the modules are the map:
``intake`` (customer messages arriving live), ``insights`` (the filter's readings and agents' corrections),
``history`` (past conversations stored as they were), ``replies`` (what the centre writes), ``workflow``
(assignment, status and tags), ``merging`` (merge and split, undoable by a supervisor), ``snooze`` (out of the
open views until a time or the customer's next message).
"""

from dabai.conversations.services.history import (
    PastConversation,
    PastMessage,
    append_history,
    record_history,
)
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
from dabai.conversations.services.merging import (
    CannotMerge,
    CannotSplit,
    CannotUndo,
    merge_conversations,
    split_conversation,
    undo_merge,
    undo_split,
)
from dabai.conversations.services.replies import add_note, add_notes, post_reply, start_conversation
from dabai.conversations.services.snooze import (
    CannotSnooze,
    WakeReason,
    snooze,
    unsnooze,
    wake_due,
    wake_if_due,
)
from dabai.conversations.services.workflow import assign, change_status, tag
from dabai.filter import analyse_many, mask

__all__ = [
    "CORRECTION_LABELS",
    "COUNTED_FIELDS",
    "INSIGHT_FIELDS",
    "PREVIEW_LENGTH",
    "URGENCY_PRIORITY",
    "CannotMerge",
    "CannotSnooze",
    "CannotSplit",
    "CannotUndo",
    "Inbound",
    "InvalidCorrection",
    "PastConversation",
    "PastMessage",
    "Received",
    "WakeReason",
    "add_note",
    "add_notes",
    "analyse_many",
    "append_history",
    "assign",
    "change_status",
    "correct_insight",
    "mask",
    "merge_conversations",
    "post_reply",
    "read_messages",
    "receive_feedback",
    "receive_message",
    "receive_messages",
    "record_history",
    "snooze",
    "split_conversation",
    "start_conversation",
    "store_insight",
    "store_insights",
    "tag",
    "undo_merge",
    "undo_split",
    "unsnooze",
    "wake_due",
    "wake_if_due",
]
