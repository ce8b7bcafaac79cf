"""State changes of follow-ups and case mentions: one function per change, each logged, audited and announced.

Everything written here may be read by departments, so free text (titles, descriptions, comments, resolution
notes, a mention's question) is masked on the way in with the portal's mask plus the names of the customers
of the linked cases. Permission checks live in ``policy`` and are asked by the views; services trust their
callers (other apps open follow-ups for programmes without a person in front of them).
"""

from dabai.followups.services.followups import (
    BODY_MAX,
    TITLE_MAX,
    TRANSITIONS,
    assign_owner,
    change_status,
    close_the_loop,
    comment,
    customer_draft,
    link_conversations,
    open_followup,
    record_export,
    record_view,
    resolve_topic,
    set_due,
)
from dabai.followups.services.mentions import (
    answer_mention,
    mark_all_notices_read,
    mark_mention_read,
    mark_notice_read,
    mention_department_member,
    record_department_mentions,
)
from dabai.followups.services.overdue import escalate_overdue

__all__ = [
    "BODY_MAX",
    "TITLE_MAX",
    "TRANSITIONS",
    "answer_mention",
    "assign_owner",
    "change_status",
    "close_the_loop",
    "comment",
    "customer_draft",
    "escalate_overdue",
    "link_conversations",
    "mark_all_notices_read",
    "mark_mention_read",
    "mark_notice_read",
    "mention_department_member",
    "open_followup",
    "record_department_mentions",
    "record_export",
    "record_view",
    "resolve_topic",
    "set_due",
]
