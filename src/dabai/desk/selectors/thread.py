"""The conversation pane's reads: the thread with badges and reasons (calls as calls), the mood trend, the
draft, the customer panel.  Personal data is masked here, so every template gets the safe form unless the
agent asked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from dabai.accounts.models import User
from dabai.conversations.models import Conversation, Direction, Insight, Message, Status
from dabai.conversations.selectors import customer_conversations
from dabai.customers.selectors import identities as customer_identities
from dabai.filter import analyse, mask
from dabai.followups.models import FollowUp
from dabai.followups.policy import visible_followups
from dabai.followups.selectors import open_followups_for_customer
from dabai.knowledge.selectors import suggestions_for
from dabai.replies import labels
from dabai.replies.drafting import Draft, DraftContext, build_draft
from dabai.replies.festivals import centre_today, festival_on
from dabai.replies.notices import Notice, notices_for
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


# ---------------------------------------------------------------------------------------------------- thread


def thread(conversation: Conversation) -> list[Message]:
    """The conversation's messages, oldest first, with what the pane shows beside each (one query each)."""
    return list(
        conversation.messages.select_related("author", "insight", "call")
        .prefetch_related("attachments")
        .order_by("sent_at", "id")
    )


@dataclass(frozen=True)
class CallTurn:
    """One turn of a call: who spoke (客户 / 坐席) and what, masked like the rest of the thread."""

    speaker: str  # "customer", "agent" or "" when the call centre did not say
    label: str
    pieces: list[Piece]


@dataclass(frozen=True)
class CallView:
    """A hotline message as a call: its length, direction, whether this agent may hear it, its turns."""

    record_id: int
    seconds: int
    direction: str
    direction_label: str
    may_hear: bool
    has_recording: bool
    turns: list[CallTurn]


@dataclass
class ThreadItem:
    message: Message
    pieces: list[Piece]
    badges: list[Badge]
    has_personal_data: bool
    revealed: bool
    more_corrections: list[Correctable] = field(default_factory=list)
    call: CallView | None = None


SPEAKER_LABELS = {
    "customer": pgettext_lazy("call speaker", "Customer"),
    "agent": pgettext_lazy("call speaker", "Agent"),
}


def desk_thread(
    messages: list[Message], revealed: frozenset[int] = frozenset(), *, hear_recordings: bool = False
) -> list[ThreadItem]:
    """Every message of a conversation as the desk shows it: masked text, highlighted cues, badges; a call
    with its transcript turns (the customer's turns keep their highlighted cues)."""
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
        record = getattr(message, "call", None)
        call = _call_view(message, record, pieces, reveal, hear_recordings) if record is not None else None
        items.append(ThreadItem(message, pieces, badges, personal, reveal, more, call))
    return items


def _call_view(message: Message, record: Any, pieces: list[Piece], reveal: bool, hear: bool) -> CallView:
    """The call's turns. The message body is the customer's turns joined by newlines (the phone adapter's
    ``transcript_body``), so the body's pieces are cut back into those turns; the agent's turns are masked."""
    turns: list[CallTurn] = []
    offset = 0
    customer_said = "\n".join(t.get("text", "") for t in record.transcript if t.get("speaker") == "customer")
    follows_body = bool(customer_said) and customer_said == message.body
    for turn in record.transcript or []:
        speaker = str(turn.get("speaker") or "")
        text = str(turn.get("text") or "")
        label = str(SPEAKER_LABELS.get(speaker, speaker or "—"))
        if speaker == "customer" and follows_body:
            turns.append(CallTurn(speaker, label, _pieces_between(pieces, offset, offset + len(text))))
            offset += len(text) + 1
        else:
            turns.append(CallTurn(speaker, label, [Piece(text if reveal else mask(text), 0, len(text))]))
    outbound = message.direction == Direction.OUTBOUND
    return CallView(
        record_id=record.pk,
        seconds=record.duration_seconds,
        direction="outbound" if outbound else "inbound",
        direction_label=_("Outgoing call") if outbound else _("Incoming call"),
        may_hear=hear and bool(record.recording_url),
        has_recording=bool(record.recording_url),
        turns=turns,
    )


def _pieces_between(pieces: list[Piece], start: int, end: int) -> list[Piece]:
    """The body's pieces within [start, end), cut at the edges (a masked piece is kept whole, never cut)."""
    out = []
    for p in pieces:
        if p.end <= start or p.start >= end:
            continue
        if p.personal:  # whole, in the turn it starts in
            if start <= p.start:
                out.append(p)
            continue
        if p.start >= start and p.end <= end:
            out.append(p)
            continue
        a, b = max(p.start, start), min(p.end, end)
        out.append(Piece(p.text[a - p.start : b - p.start], a, b, p.why, p.personal))
    return out


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


def draft_for(
    conversation: Conversation,
    agent: User,
    today: date | None = None,
    notices: list[Notice] | None = None,
) -> Draft | None:
    """The suggested reply to the customer's latest message, or None before the customer has written.

    It starts from the first notice other apps give for the conversation (an ongoing incident's status)."""
    message = latest_customer_message(conversation)
    if message is None:
        return None
    if notices is None:
        notices = notices_for(conversation)
    context = DraftContext(
        channel=conversation.channel,
        analysis=analysis_of(message),
        customer_name=conversation.customer.display_name,
        agent_name=str(agent),
        is_public=conversation.is_public,
        elderly=is_elderly(conversation),
        festival=festival_on(today or centre_date()),
        knowledge_hint="" if conversation.is_public or notices else knowledge_hint(conversation),
        notice=notices[0].text if notices else "",
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
    follow_ups: list[Conversation]  # the customer's other open conversations
    tags: list[str]
    followups: list[FollowUp] = field(default_factory=list)  # what other departments are doing for them


def customer_panel(user: User, conversation: Conversation) -> CustomerPanel:
    """Who the customer is across channels and what happened before: identities masked, history visible,
    and the follow-ups other departments have open for them (those this agent may see)."""
    customer = conversation.customer
    identities = [(shown.channel, shown.value) for shown in customer_identities(customer)]
    others = customer_conversations(user, customer.pk).exclude(pk=conversation.pk)
    follow_ups = list(others.filter(status__in=[Status.OPEN, Status.PENDING])[:10])
    previous = list(others.filter(status__in=[Status.RESOLVED, Status.CLOSED])[:10])
    _attach_final_mood(previous)
    tags = [t.name for t in customer.tags.all()]
    return CustomerPanel(customer, identities, previous, follow_ups, tags, _open_followups(user, customer))


def _open_followups(user: User, customer: Any) -> list[FollowUp]:
    found = open_followups_for_customer(customer)
    if not found:
        return []
    visible = FollowUp.objects.filter(pk__in=[f.pk for f in found])
    allowed = set(visible_followups(user, visible).values_list("pk", flat=True))
    return [f for f in found if f.pk in allowed]


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
