"""What the filter says about one message: the label sets and :class:`Analysis`, the CLI's JSON contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..pii import Span, apply_mask

INTENTS = (
    "billing",
    "logistics",
    "refund_return",
    "account",
    "product_quality",
    "outage",
    "service_attitude",
    "cancellation",
    "usage_inquiry",
    "purchase_inquiry",
    "other",
)
VOICES = ("complaint", "question", "request", "suggestion", "praise")
SENTIMENTS = ("negative", "neutral", "positive")
EMOTIONS = ("anger", "anxiety", "disappointment", "confusion", "satisfaction", "gratitude")
URGENCIES = ("low", "normal", "high", "critical")
CHANNELS = ("email", "chat", "sms", "phone", "weibo", "wechat")
RULES_VERSION = "rules-1"


@dataclass(slots=True)
class Analysis:
    """All signals for one message; :meth:`to_dict` is the stable JSON contract of the CLI."""

    text: str
    sentiment: dict[str, Any]
    emotions: list[dict[str, Any]]
    intent: dict[str, Any] | None
    voice: dict[str, Any] | None
    escalation: dict[str, Any]
    urgency: dict[str, Any]
    spam: dict[str, Any]
    pii: list[Span]
    entities: list[Span]
    address_form: dict[str, Any] | None
    why: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    model_version: str = RULES_VERSION
    # Signals whose label the model is not sure of (score below the model's calibrated floor): the desk shows
    # them as uncertain instead of a confident badge.  Not part of the CLI contract; the scores are.
    uncertain: tuple[str, ...] = ()

    @property
    def masked_text(self) -> str:
        return apply_mask(self.text, self.pii)

    def to_dict(self) -> dict[str, Any]:
        """The CLI JSON object (without ``id``)."""
        return {
            "sentiment": self.sentiment,
            "emotions": self.emotions,
            "intent": self.intent,
            "voice": self.voice,
            "escalation": self.escalation,
            "urgency": self.urgency,
            "spam": self.spam,
            "pii": [{"kind": s.kind, "start": s.start, "end": s.end} for s in self.pii],
            "entities": [
                {"kind": s.kind, "start": s.start, "end": s.end, "text": self.text[s.start : s.end]}
                for s in self.entities
            ],
            "address_form": self.address_form,
            "masked_text": self.masked_text,
            "why": self.why,
            "model_version": self.model_version,
        }
