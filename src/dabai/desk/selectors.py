"""Reads for the agent's workspace: the inbox, the thread with badges and reasons, the mood trend, the draft,
the customer panel.  Personal data is masked here, so every template gets the safe form unless the agent
asked.

The inbox pages by LIMIT/OFFSET on an indexed ordering and fetches a fixed number of queries per page whatever
its size (no per-row queries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.accounts.permissions import visible_conversations
from dabai.conversations.models import Conversation, Direction, Insight, Message, Status
from dabai.conversations.selectors import InboxFilters, customer_conversations, inbox_queryset
from dabai.customers.selectors import identities as customer_identities
from dabai.filter import analyse, mask
from dabai.knowledge.selectors import suggestions_for
from dabai.replies import labels
from dabai.replies.drafting import Draft, DraftContext, build_draft
from dabai.replies.festivals import centre_today, festival_on
from dabai.replies.selectors import (
    Badge,
    Correctable,
    Piece,
    insight_badges,
    message_pieces,
    more_corrections,
)

ELDERLY_TAGS = ("老年客户", "elderly")
KNOWLEDGE_MIN_CONFIDENCE = 0.6  # below this an article is a guess: shown in the panel, not drafted


# ----------------------------------------------------------------------------------------------------- inbox


def inbox_page(user: User, filters: InboxFilters, page_number: int | str, per_page: int) -> Page:
    paginator = Paginator(inbox_queryset(user, filters), per_page)
    return paginator.get_page(page_number)


def thread(conversation: Conversation) -> list[Message]:
    return list(
        conversation.messages.select_related("author", "insight")
        .prefetch_related("attachments")
        .order_by("sent_at", "id")
    )


# ---------------------------------------------------------------------------------------------------- thread


@dataclass
class ThreadItem:
    message: Message
    pieces: list[Piece]
    badges: list[Badge]
    has_personal_data: bool
    revealed: bool
    more_corrections: list[Correctable] = field(default_factory=list)


def desk_thread(messages: list[Message], revealed: frozenset[int] = frozenset()) -> list[ThreadItem]:
    """Every message of a conversation as the desk shows it: masked text, highlighted cues, badges."""
    items = []
    for message in messages:
        insight = getattr(message, "insight", None) if message.direction == Direction.INBOUND else None
        reveal = message.pk in revealed
        pieces = message_pieces(message, insight, reveal=reveal)
        personal = (
            bool(insight.has_personal_data) if insight is not None else mask(message.body) != message.body
        )
        badges = insight_badges(insight, message_pieces(message, insight)) if insight is not None else []
        more = more_corrections(insight) if insight is not None else []
        items.append(ThreadItem(message, pieces, badges, personal, reveal, more))
    return items


# ------------------------------------------------------------------------------------------------ mood trend

SENTIMENT_VALUE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}


@dataclass(frozen=True)
class MoodTrend:
    points: list[str]  # sentiment labels of the customer's messages in order
    direction: str  # improving, worsening, steady, unknown

    @property
    def label(self) -> str:
        return labels.label(labels.TREND, self.direction)

    @property
    def point_labels(self) -> list[tuple[str, str]]:
        return [(p, labels.label(labels.SENTIMENT, p)) for p in self.points]


def mood_trend(messages: list[Message]) -> MoodTrend:
    """How the customer's mood moved across the conversation: first half against the latest message."""
    points = []
    for message in messages:
        insight = getattr(message, "insight", None) if message.direction == Direction.INBOUND else None
        if insight is not None and not insight.is_spam:
            points.append(insight.sentiment)
    if not points:
        return MoodTrend([], "unknown")
    if len(points) == 1:
        return MoodTrend(points, "steady")
    earlier = points[: max(1, len(points) // 2)]
    before = sum(SENTIMENT_VALUE.get(p, 0.0) for p in earlier) / len(earlier)
    now = SENTIMENT_VALUE.get(points[-1], 0.0)
    direction = "improving" if now > before else "worsening" if now < before else "steady"
    return MoodTrend(points, direction)


# ----------------------------------------------------------------------------------------------------- draft


def latest_customer_message(conversation: Conversation) -> Message | None:
    return (
        conversation.messages.filter(direction=Direction.INBOUND)
        .select_related("insight")
        .order_by("-sent_at", "-id")
        .first()
    )


def analysis_of(message: Message) -> dict[str, Any]:
    """The stored analysis, or a fresh one while the background analysis is still on its way."""
    insight = getattr(message, "insight", None)
    if insight is not None and insight.analysis:
        return insight.analysis
    return analyse(message.body, channel=message.channel).to_dict()


def is_elderly(conversation: Conversation) -> bool:
    return conversation.customer.tags.filter(name__in=ELDERLY_TAGS).exists()


def centre_date() -> date:
    return centre_today(timezone.now(), settings.TIME_ZONE)


def draft_for(conversation: Conversation, agent: User, today: date | None = None) -> Draft | None:
    """The suggested reply to the customer's latest message, or None before the customer has written."""
    message = latest_customer_message(conversation)
    if message is None:
        return None
    context = DraftContext(
        channel=conversation.channel,
        analysis=analysis_of(message),
        customer_name=conversation.customer.display_name,
        agent_name=str(agent),
        is_public=conversation.is_public,
        elderly=is_elderly(conversation),
        festival=festival_on(today or centre_date()),
        knowledge_hint="" if conversation.is_public else knowledge_hint(conversation),
    )
    return build_draft(context)


def knowledge_hint(conversation: Conversation) -> str:
    """A pointer to the knowledge-base article that answers the customer, when the match is confident."""
    hits = suggestions_for(conversation, limit=1)
    if hits and hits[0].confidence >= KNOWLEDGE_MIN_CONFIDENCE:
        return f"您可以参考这篇说明：{hits[0].message}"
    return ""


def draft_reasons(draft: Draft) -> list[str]:
    return [str(labels.DRAFT_REASON[r]) for r in draft.reasons if r in labels.DRAFT_REASON] + [
        _("festival greeting") for r in draft.reasons if r.startswith("festival:")
    ]


# -------------------------------------------------------------------------------------------- customer panel


@dataclass
class CustomerPanel:
    customer: Any
    identities: list[tuple[str, str]]
    previous: list[Conversation]
    follow_ups: list[Conversation]
    tags: list[str]


def customer_panel(user: User, conversation: Conversation) -> CustomerPanel:
    """Who the customer is across channels and what happened before: identities masked, history visible."""
    customer = conversation.customer
    identities = [(shown.channel, shown.value) for shown in customer_identities(customer)]
    others = customer_conversations(user, customer.pk).exclude(pk=conversation.pk)
    follow_ups = list(others.filter(status__in=[Status.OPEN, Status.PENDING])[:10])
    previous = list(others.filter(status__in=[Status.RESOLVED, Status.CLOSED])[:10])
    _attach_final_mood(previous)
    return CustomerPanel(customer, identities, previous, follow_ups, [t.name for t in customer.tags.all()])


def _attach_final_mood(conversations: list[Conversation]) -> None:
    """How each earlier conversation ended: the sentiment of the customer's last message (one query)."""
    final: dict[int, str] = {}
    rows = (
        Insight.objects.filter(message__conversation__in=[c.pk for c in conversations], is_spam=False)
        .order_by("message__sent_at", "message__id")
        .values_list("message__conversation_id", "sentiment")
    )
    for conversation_id, sentiment in rows:
        final[conversation_id] = sentiment
    for conversation in conversations:
        conversation.final_mood = final.get(conversation.pk, "")
        conversation.final_mood_label = labels.label(labels.SENTIMENT, conversation.final_mood)


# ------------------------------------------------------------------------------------------------ navigation


def next_active_conversation(user: User, pk: int) -> Conversation | None:
    """The active conversation after *pk* in the inbox order (newest activity first), wrapping around."""
    active = visible_conversations(
        user, Conversation.objects.filter(status__in=[Status.OPEN, Status.PENDING])
    ).order_by("-last_message_at", "-id")
    current = Conversation.objects.filter(pk=pk).values("last_message_at", "id").first()
    if current is not None:
        after = active.filter(
            Q(last_message_at__lt=current["last_message_at"])
            | Q(last_message_at=current["last_message_at"], id__lt=current["id"])
        ).first()
        if after is not None:
            return after
    return active.exclude(pk=pk).first()
