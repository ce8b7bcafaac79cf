"""Follow-up pages: thin views; every one asks ``policy`` (over ``dabai.accounts.permissions``) first.

A follow-up someone may not see is a 404 (they do not even learn it exists); one they may see but not act on
is a 403 for the action.
"""

from dabai.followups.views.followups import (
    change_status,
    comment,
    detail,
    export,
    open_followup,
    owner,
    queue,
)
from dabai.followups.views.people import (
    answer,
    ask,
    for_customer,
    mention,
    mentions,
    notice_read,
    notices,
    notices_read_all,
)

__all__ = [
    "answer",
    "ask",
    "change_status",
    "comment",
    "detail",
    "export",
    "for_customer",
    "mention",
    "mentions",
    "notice_read",
    "notices",
    "notices_read_all",
    "open_followup",
    "owner",
    "queue",
]
