"""Live events for the inbox and the conversation page, sent only after the transaction commits.

An inbox hears only about conversations its person may open (``dabai.accounts.permissions``): it joins the
groups of its audiences (everything; each of its teams; unrouted conversations; conversations assigned to it)
and each event goes to the groups of its conversation's team and assignee. An agent of one team never learns
another team's conversation ids.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from dabai.accounts.models import User
from dabai.accounts.permissions import is_desk_user, sees_all_conversations, team_ids
from dabai.core import live

logger = logging.getLogger(__name__)

INBOX_ALL_GROUP = "inbox-all"
INBOX_UNROUTED_GROUP = "inbox-unrouted"


def inbox_team_group(team_id: int) -> str:
    return f"inbox-team-{team_id}"


def inbox_user_group(user_id: int) -> str:
    return f"inbox-assignee-{user_id}"


def inbox_groups(user: User) -> list[str]:
    """The groups a person's inbox joins: mirrors ``permissions.visible_conversations``."""
    if not is_desk_user(user):
        return []
    if sees_all_conversations(user):
        return [INBOX_ALL_GROUP]
    return [INBOX_UNROUTED_GROUP, inbox_user_group(user.pk), *(inbox_team_group(t) for t in team_ids(user))]


def audience_groups(team_id: int | None, assignee_id: int | None) -> list[str]:
    """The inbox groups that may hear about a conversation of this team and assignee."""
    groups = [INBOX_ALL_GROUP, inbox_team_group(team_id) if team_id else INBOX_UNROUTED_GROUP]
    if assignee_id:
        groups.append(inbox_user_group(assignee_id))
    return groups


def conversation_group(conversation_id: int) -> str:
    return f"conversation-{conversation_id}"


def publish_conversation_event(conversation_id: int, kind: str, **data: object) -> None:
    """Tell open inboxes and conversation pages that something changed; they re-fetch what they may see.

    The event carries no message text: each browser reloads through views that check permissions.
    """
    publish_conversation_events([(conversation_id, kind, data)])


def conversation_event(conversation_id: int, kind: str, **data: object) -> dict:
    """What a desk page hears: what happened to which conversation, never the text."""
    return {"type": "conversation.event", "kind": kind, "conversation_id": conversation_id, **data}


def publish_conversation_events(events: list[tuple[int, str, dict]]) -> None:
    """Many events (a stored batch) in one trip to the channel layer once the transaction commits.

    Inside ``gathered_events`` the committed events wait for the end of the block instead.
    """
    if not events:
        return
    addressed = [(conversation_group(c), conversation_event(c, kind, **data)) for c, kind, data in events]
    transaction.on_commit(lambda: _publish(addressed))


_gathering = threading.local()


def _publish(addressed: list[live.Addressed]) -> None:
    held = getattr(_gathering, "events", None)
    if held is not None:
        held.extend(addressed)
    else:
        live.send(_addressed(addressed))


@contextmanager
def gathered_events() -> Iterator[None]:
    """Hold the events whose transactions commit inside the block and send them together at its end.

    A drained batch publishes from many places (arrivals, insights, each routing decision); sent as they
    commit they cost a trip to the channel layer and a query for the inbox audiences each, a few
    milliseconds apiece. Gathered they cost one of each per batch, the audiences read after the whole
    batch (routing included) is settled. A rolled-back transaction's events never reach the block (Django
    drops their commit hooks). Nested blocks send at the outermost end.
    """
    if getattr(_gathering, "events", None) is not None:
        yield
        return
    _gathering.events = held = []
    try:
        yield
    finally:
        _gathering.events = None
        if held:
            try:
                live.send(_addressed(held))
            except Exception:
                logger.exception("sending %d gathered live events failed", len(held))


def _addressed(events: list[live.Addressed]) -> list[live.Addressed]:
    """Every event reaches its conversation's page (a conversation that has only just been created has no page
    open yet). Open inboxes get one event per batch and audience: any event makes them re-fetch the list, and
    two hundred re-fetches for a burst of two hundred messages would help nobody.
    """
    pages = [(group, event) for group, event in events if event["kind"] != "conversation.created"]
    return pages + list(_inbox_events(events).items())


def _inbox_events(events: list[live.Addressed]) -> dict[str, dict]:
    """The last event of the batch for each inbox group allowed to hear about it (one query)."""
    from dabai.conversations.models import Conversation

    ids = {event["conversation_id"] for _, event in events}
    owners = dict(
        (pk, (team_id, assignee_id))
        for pk, team_id, assignee_id in Conversation.objects.filter(pk__in=ids).values_list(
            "pk", "team_id", "assignee_id"
        )
    )
    latest: dict[str, dict] = {}
    for _, event in events:
        owner = owners.get(event["conversation_id"])
        if owner is not None:
            for group in audience_groups(*owner):
                latest[group] = event
    return latest
