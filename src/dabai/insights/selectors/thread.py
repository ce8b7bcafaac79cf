"""The masked case page: the thread as departments read it, share links and saved searches."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dabai.channels.models import CallRecord
from dabai.conversations.models import Conversation, Direction, Message
from dabai.insights import masking
from dabai.insights.models import Case, CaseShare, SavedSearch
from dabai.replies.selectors import insight_badges, message_pieces


@dataclass(frozen=True)
class ShownBadge:
    label: str
    css: str
    reasons: list[str]


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str
    text: str


@dataclass(frozen=True)
class MaskedMessage:
    direction: str
    sent_at: object
    text: str
    badges: list[ShownBadge] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    recording_url: str = ""
    duration_seconds: int = 0


def case(pk: int) -> Case | None:
    return Case.objects.select_related("conversation").filter(pk=pk).first()


def _badges(message: Message, names: list[str]) -> list[ShownBadge]:
    insight = getattr(message, "insight", None)
    if insight is None:
        return []
    shown = []
    for badge in insight_badges(insight, message_pieces(message, insight)):
        reasons = [masking.for_departments(str(r), names) for r in badge.reasons if r]
        shown.append(ShownBadge(str(badge.label), badge.css, reasons))
    return shown


def masked_thread(conversation: Conversation, *, with_recordings: bool) -> list[MaskedMessage]:
    """The thread as departments read it: e-mails, chat lines and call transcripts, every text masked,
    the filter's badges and reasons on each customer message; recording links only when allowed."""
    names = [conversation.customer.display_name]
    messages = list(
        conversation.messages.exclude(direction=Direction.NOTE)
        .select_related("insight")
        .order_by("sent_at", "id")
    )
    calls = {c.message_id: c for c in CallRecord.objects.filter(message__in=messages)}
    out = []
    for m in messages:
        call = calls.get(m.pk)
        transcript = []
        if call is not None:
            for line in call.transcript or []:
                if isinstance(line, dict) and line.get("text"):
                    speaker = (
                        _("Customer")
                        if line.get("speaker") in {"customer", "caller"}
                        else _("Service centre")
                    )
                    transcript.append(
                        TranscriptLine(speaker, masking.for_departments(str(line["text"]), names))
                    )
        out.append(
            MaskedMessage(
                m.direction,
                m.sent_at,
                masking.for_departments(m.body, names),
                _badges(m, names) if m.direction == Direction.INBOUND else [],
                transcript,
                (call.recording_url if call is not None and with_recordings else ""),
                call.duration_seconds if call is not None else 0,
            )
        )
    return out


def share(token: str) -> CaseShare | None:
    return CaseShare.objects.select_related("conversation__customer").filter(token=token[:64]).first()


def saved_searches(owner) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(owner=owner)
