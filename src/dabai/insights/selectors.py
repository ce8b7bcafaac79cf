"""The voice-of-the-customer case library: real cases for departments, with personal data masked.

Departments read what customers said and how the centre answered, never who they are: bodies and previews
pass through the filter's lenient ``mask`` (the text leaves the agent's desk, so spaced or dotted numbers and
ID-shaped numbers with a wrong check digit are masked too) and customers appear only as a case number.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from dabai.conversations.models import Conversation, Direction, Status
from dabai.filter import mask


@dataclass(frozen=True)
class MaskedMessage:
    direction: str
    sent_at: object
    text: str


def case_list() -> QuerySet[Conversation]:
    return Conversation.objects.filter(status__in=[Status.RESOLVED, Status.CLOSED]).order_by(
        "-last_message_at"
    )


def masked_previews(conversations: Iterable[Conversation]) -> list[Conversation]:
    """The listed cases, each with ``masked_preview`` for display."""
    rows = list(conversations)
    for conversation in rows:
        conversation.masked_preview = mask(conversation.preview, lenient=True)
    return rows


def masked_case(pk: int) -> tuple[Conversation, list[MaskedMessage]] | None:
    conversation = case_list().filter(pk=pk).first()
    if conversation is None:
        return None
    messages = conversation.messages.exclude(direction=Direction.NOTE).order_by("sent_at", "id")
    return conversation, [MaskedMessage(m.direction, m.sent_at, mask(m.body, lenient=True)) for m in messages]
