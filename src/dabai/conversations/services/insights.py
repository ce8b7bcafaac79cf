"""The filter's readings of customer messages, and the corrections agents make to them."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from dabai.accounts.models import User
from dabai.accounts.permissions import visible_conversations
from dabai.accounts.services import record_audit
from dabai.conversations import signals
from dabai.conversations.filtering import current_model
from dabai.conversations.live import publish_conversation_event, publish_conversation_events
from dabai.conversations.models import (
    Conversation,
    CorrectedSignal,
    Direction,
    Insight,
    LabelCorrection,
    Message,
    Priority,
)
from dabai.core.bulk import insert_rows
from dabai.filter.analysis import INTENTS, SENTIMENTS, VOICES

URGENCY_PRIORITY = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "high": Priority.HIGH,
    "critical": Priority.URGENT,
}


def read_messages(messages: list[Message]) -> list[Insight]:
    """The filter (the active model) reads a batch of customer messages in one pass; the insights are stored.

    Besides the filter's JSON contract the stored reading keeps ``uncertain``: the signals whose score is
    below the model's calibrated floor, which the desk shows as uncertain rather than as a confident badge.
    """
    return store_insights(_readings(messages))


def _readings(messages: list[Message]) -> list[tuple[Message, dict[str, Any]]]:
    # Read through the package, where the filter has always been reached (``services.analyse_many``): a test
    # that makes the filter fail for a moment patches it there, whichever module does the reading.
    from dabai.conversations import services

    analyses = services.analyse_many([(m.body, m.channel) for m in messages], model=current_model())
    return [
        (m, {**a.to_dict(), "uncertain": list(a.uncertain)}) for m, a in zip(messages, analyses, strict=True)
    ]


def store_insight(message: Message, analysis: dict[str, Any]) -> Insight:
    """Save the filter's reading of one message (see ``store_insights``)."""
    return store_insights([(message, analysis)])[0]


def store_insights(readings: list[tuple[Message, dict[str, Any]]], attempts: int = 3) -> list[Insight]:
    """Save the filter's readings (replacing earlier ones), raise urgent conversations' priority: set-wise.

    Two workers reading the same message at once (a sweep re-queued it) collide on the unique message; the
    loser reads again and replaces the winner's row.
    """
    readings = list({message.pk: (message, analysis) for message, analysis in readings}.values())
    try:
        with transaction.atomic():
            insights = _write_insights(readings)
            _raise_priorities(insights)
            signals.insights_stored.send(sender=Insight, insights=insights)
    except IntegrityError:
        if attempts <= 1:
            raise
        return store_insights(readings, attempts - 1)
    publish_conversation_events(
        [(m.conversation_id, "insight.new", {"message_id": m.pk}) for m, _ in readings]
    )
    return insights


INSIGHT_FIELDS = [
    "sentiment",
    "sentiment_score",
    "intent",
    "voice",
    "urgency",
    "escalation_risk",
    "is_spam",
    "has_personal_data",
    "masked_text",
    "analysis",
    "model_version",
]


def _write_insights(readings: list[tuple[Message, dict[str, Any]]], *, fresh: bool = False) -> list[Insight]:
    """Insert or replace the readings' insights, keeping agents' corrections. ``fresh`` messages were stored
    in this transaction (history), so they have neither an earlier reading nor a correction to look up."""
    ids = [m.pk for m, _ in readings]
    earlier = {} if fresh else Insight.objects.in_bulk(ids, field_name="message_id")
    corrections = {} if fresh else _latest_corrections(ids)
    insights = []
    for message, analysis in readings:
        insight = earlier.get(message.pk) or Insight(message_id=message.pk)
        insight._state.fields_cache["message"] = message
        _read_into(insight, analysis)
        for correction in corrections.get(message.pk, []):
            _apply_correction(insight, correction)
        insights.append(insight)
    insert_rows(Insight, [i for i in insights if i.pk is None])
    Insight.objects.bulk_update([i for i in insights if i.message_id in earlier], INSIGHT_FIELDS)
    return insights


def _read_into(insight: Insight, analysis: dict[str, Any]) -> None:
    intent = analysis.get("intent") or {}
    voice = analysis.get("voice") or {}
    insight.sentiment = analysis["sentiment"]["label"]
    insight.sentiment_score = float(analysis["sentiment"]["score"])
    insight.intent = intent.get("label") or ""
    insight.voice = voice.get("label") or ""
    insight.urgency = analysis["urgency"]["label"]
    insight.escalation_risk = bool(analysis["escalation"]["risk"])
    insight.is_spam = bool(analysis["spam"]["is_spam"])
    insight.has_personal_data = bool(analysis.get("pii"))
    insight.masked_text = analysis.get("masked_text", "")
    insight.analysis = analysis
    insight.model_version = str(analysis.get("model_version", ""))


# ----------------------------------------------------------------------------------------------- corrections

CORRECTION_LABELS: dict[str, tuple[str, ...]] = {
    CorrectedSignal.SENTIMENT: SENTIMENTS,
    CorrectedSignal.INTENT: INTENTS,
    CorrectedSignal.VOICE: VOICES,
    CorrectedSignal.ESCALATION: ("true", "false"),
    CorrectedSignal.SPAM: ("true", "false"),
}


class InvalidCorrection(ValueError):
    """The signal or label of a correction is not one the filter knows."""


def correct_insight(
    message: Message, *, signal: str, value: str | bool, actor: User, request: Any = None
) -> LabelCorrection:
    """An agent or supervisor corrects one badge of a customer message: stored, audited, shown at once.

    Whoever may open the conversation may correct it (department members and customers may not).  The
    insight's column takes the corrected value immediately (routing and reports read the columns), and every
    later reading of the message (the sweep, a new model) keeps it: see ``_write_insights``.
    """
    if not visible_conversations(actor, Conversation.objects.filter(pk=message.conversation_id)).exists():
        raise PermissionDenied
    if isinstance(value, bool):
        value = "true" if value else "false"
    value = str(value).strip().lower()
    if signal not in CORRECTION_LABELS or value not in CORRECTION_LABELS[signal]:
        raise InvalidCorrection(f"{signal}={value}")
    if message.direction != Direction.INBOUND:
        raise InvalidCorrection("only customer messages carry the filter's labels")
    with transaction.atomic():
        insight = Insight.objects.select_for_update().filter(message=message).first()
        if insight is None:
            raise InvalidCorrection("the filter has not read this message yet")
        previous = _column_value(insight, signal)
        correction = LabelCorrection.objects.create(
            message=message, signal=signal, value=value, previous=previous, corrected_by=actor
        )
        correction.corrected_by = actor
        _apply_correction(insight, correction)
        insight.save(update_fields=INSIGHT_FIELDS)
        record_audit(
            actor,
            "insight.corrected",
            message,
            {"signal": signal, "value": value, "previous": previous, "correction": correction.pk},
            request=request,
        )
    publish_conversation_event(message.conversation_id, "insight.new", message_id=message.pk)
    return correction


def _column_value(insight: Insight, signal: str) -> str:
    if signal == CorrectedSignal.ESCALATION:
        return "true" if insight.escalation_risk else "false"
    if signal == CorrectedSignal.SPAM:
        return "true" if insight.is_spam else "false"
    return str(getattr(insight, signal) or "")


def _latest_corrections(message_ids: list[int]) -> dict[int, list[LabelCorrection]]:
    """The newest correction per (message, signal), with who made it: one query for a whole batch."""
    latest: dict[int, dict[str, LabelCorrection]] = {}
    rows = (
        LabelCorrection.objects.filter(message_id__in=message_ids)
        .select_related("corrected_by")
        .order_by("message_id", "signal", "-id")
    )
    for row in rows:
        latest.setdefault(row.message_id, {}).setdefault(row.signal, row)
    return {message_id: list(by_signal.values()) for message_id, by_signal in latest.items()}


def _apply_correction(insight: Insight, correction: LabelCorrection) -> None:
    """Put a correction into the insight's column and note it (who, when, what the model said) in its JSON."""
    signal, value = correction.signal, correction.value
    model_said = _column_value(insight, signal)
    if signal == CorrectedSignal.ESCALATION:
        insight.escalation_risk = value == "true"
    elif signal == CorrectedSignal.SPAM:
        insight.is_spam = value == "true"
    else:
        setattr(insight, signal, value)
    analysis = dict(insight.analysis or {})
    notes = dict(analysis.get("corrections") or {})
    earlier = notes.get(signal) or {}
    by = correction.corrected_by
    notes[signal] = {
        "value": value,
        "model": earlier.get("model", model_said),
        "by": str(by) if by is not None else "",
        "at": (correction.corrected_at or timezone.now()).isoformat(),
        "id": correction.pk,
    }
    analysis["corrections"] = notes
    analysis["uncertain"] = [s for s in analysis.get("uncertain") or [] if s != signal]
    insight.analysis = analysis


def _raise_priorities(insights: list[Insight]) -> None:
    """An urgent message lifts its conversation's priority (never lowers it): one UPDATE per level."""
    by_priority: dict[int, set[int]] = {}
    for insight in insights:
        priority = URGENCY_PRIORITY.get(insight.urgency, Priority.NORMAL)
        by_priority.setdefault(priority, set()).add(insight.message.conversation_id)
    for priority, conversation_ids in by_priority.items():
        Conversation.objects.filter(pk__in=conversation_ids, priority__lt=priority).update(priority=priority)
