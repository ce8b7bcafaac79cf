"""Live notices to one person (an @-mention), sent after commit; like every live event they carry no text."""

from dabai.conversations.consumers import user_group
from dabai.conversations.live import conversation_event
from dabai.core import live


def notify_user(user_id: int, kind: str, conversation_id: int, **data: object) -> None:
    """Tell every open desk page of this user that something concerns them; the page fetches the rest."""
    live.send_after_commit([(user_group(user_id), conversation_event(conversation_id, kind, **data))])
