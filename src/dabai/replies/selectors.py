"""Reads of the replies domain: a message cut into masked, highlighted pieces with its badges and reasons
(the desk, the API and the voice-of-the-customer pages all show them), macros and mentions.  Personal data is
masked here, so every caller gets the safe form unless the agent asked.  The desk's own reads (thread, mood
trend, draft, customer panel) live in ``dabai.desk.selectors``."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from dabai.accounts.models import User
from dabai.accounts.permissions import team_ids
from dabai.conversations.models import Conversation, Direction, Insight, Message
from dabai.filter import mask
from dabai.filter.pii import mask_span
from dabai.replies import labels
from dabai.replies.drafting import fill_variables
from dabai.replies.models import Macro, Mention


@dataclass(frozen=True)
class Piece:
    """A stretch of message text: ``why`` names the badges whose cue it is; ``personal`` if masked data."""

    text: str
    start: int
    end: int
    why: str = ""
    personal: bool = False


@dataclass(frozen=True)
class Badge:
    key: str
    label: str
    css: str
    reasons: list[str] = field(default_factory=list)
    # Correctable badges: the signal, its labels to choose from, the label shown now, who corrected it.
    signal: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    current: str = ""
    corrected_by: str = ""
    uncertain: bool = False


@dataclass(frozen=True)
class Correctable:
    """A signal an agent may correct though it has no badge now (no escalation risk, not spam)."""

    signal: str
    title: str
    options: list[tuple[str, str]]
    current: str


# ---------------------------------------------------------------------------------------------------- thread


def _personal_spans(insight: Insight | None) -> list[tuple[int, int, str]]:
    if insight is not None:
        return [(p["start"], p["end"], p["kind"]) for p in insight.analysis.get("pii") or []]
    return []


def _cue_spans(insight: Insight | None, text_length: int) -> list[tuple[int, int, str]]:
    if insight is None:
        return []
    spans = []
    for key, cues in (insight.analysis.get("why") or {}).items():
        for cue in cues or []:
            start, end = cue.get("start"), cue.get("end")
            if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= text_length:
                spans.append((start, end, key))
    return spans


def message_pieces(message: Message, insight: Insight | None, *, reveal: bool = False) -> list[Piece]:
    """The message text cut at cue and personal-data boundaries; personal data masked unless revealed.

    Spans from the filter index the original text, so highlighting works on the original and masking is
    applied per personal-data span (never shifting a cue).
    """
    text = message.body
    personal = sorted(_personal_spans(insight))
    if insight is None:
        return [Piece(text if reveal else mask(text), 0, len(text))]
    cues = _cue_spans(insight, len(text))
    bounds = {0, len(text)}
    for start, end, _kind in cues:
        bounds.update((start, end))
    for start, end, _kind in personal:
        bounds.difference_update(range(start + 1, end))
        bounds.update((start, end))
    ordered = sorted(b for b in bounds if 0 <= b <= len(text))
    pieces = []
    for start, end in itertools.pairwise(ordered):
        covering = [k for s, e, k in personal if s <= start and end <= e]
        why = " ".join(sorted({k for s, e, k in cues if s < end and start < e}))
        chunk = text[start:end]
        if covering:
            shown = chunk if reveal else mask_span(covering[0], chunk)
            pieces.append(Piece(shown, start, end, why, personal=True))
        else:
            pieces.append(Piece(chunk, start, end, why))
    return pieces


def _reasons(insight: Insight, key: str, pieces: list[Piece]) -> list[str]:
    """The cue phrases behind one badge, as the agent sees them (masked where they touch personal data)."""
    shown = []
    for cue in (insight.analysis.get("why") or {}).get(key) or []:
        if "start" in cue and "end" in cue:
            phrase = "".join(p.text for p in _pieces_within(pieces, cue["start"], cue["end"]))
        else:
            phrase = _readable_feature(str(cue.get("feature", "")))
        if any(c.isalnum() for c in phrase) and phrase not in shown:  # punctuation alone explains nothing
            shown.append(phrase)
    return shown


def _readable_feature(feature: str) -> str:
    """A model feature as words an agent can read: words and bigrams only, never internal cue names."""
    kind, _, value = feature.partition(":")
    return value if kind in {"w", "b"} else ""


def _pieces_within(pieces: list[Piece], start: int, end: int) -> list[Piece]:
    return [p for p in pieces if p.start < end and start < p.end]


def _confidence(value: Any) -> str:
    try:
        return _("model confidence %(percent)d%%") % {"percent": round(float(value) * 100)}
    except (TypeError, ValueError):
        return ""


def _yes_no(yes: str, no: str) -> list[tuple[str, str]]:
    return [("true", yes), ("false", no)]


def _options(signal: str) -> list[tuple[str, str]]:
    mapping = {"sentiment": labels.SENTIMENT, "intent": labels.INTENT, "voice": labels.VOICE}.get(signal)
    if mapping is not None:
        return [(key, str(name)) for key, name in mapping.items()]
    if signal == "spam":
        return _yes_no(_("Spam"), _("Not spam"))
    return _yes_no(_("Escalation risk"), _("No escalation risk"))


SIGNAL_TITLE = {
    "sentiment": _lazy("Sentiment"),
    "intent": _lazy("Intent"),
    "voice": _lazy("Voice"),
    "escalation": _lazy("Escalation risk"),
    "spam": _lazy("Spam"),
}


def _correctable(insight: Insight, signal: str, shown: str, badge: Badge) -> Badge:
    """*badge* made correctable: the labels to choose from, and corrected or uncertain as the insight says."""
    a = insight.analysis or {}
    correction = (a.get("corrections") or {}).get(signal) or {}
    uncertain = signal in (a.get("uncertain") or []) and not correction
    label = badge.label
    if uncertain:
        guess = {"signal": SIGNAL_TITLE[signal], "guess": badge.label}
        label = _("%(signal)s: uncertain (%(guess)s?)") % guess
    return Badge(
        badge.key,
        label,
        "uncertain" if uncertain else badge.css,
        badge.reasons,
        signal=signal,
        options=_options(signal),
        current=shown,
        corrected_by=str(correction.get("by") or _("someone")) if correction else "",
        uncertain=uncertain,
    )


def insight_badges(insight: Insight, pieces: list[Piece]) -> list[Badge]:
    """Compact badges for one customer message, each with the reasons it was given.

    Sentiment, intent, voice, escalation and spam badges are correctable; a corrected one says who corrected
    it, and one the model is not sure of (below its calibrated floor) shows as uncertain with its guess.
    """
    a = insight.analysis or {}
    if insight.is_spam:
        spam = a.get("spam") or {}
        reasons = _reasons(insight, "spam", pieces) or [labels.label(labels.SPAM_REASON, spam.get("reason"))]
        badge = Badge("spam", _("Spam"), "spam", [r for r in reasons if r])
        return [_correctable(insight, "spam", "true", badge)]
    badges = []
    sentiment = a.get("sentiment") or {}
    reasons = _reasons(insight, "sentiment", pieces) or [_confidence(sentiment.get("score"))]
    badge = Badge("sentiment", labels.label(labels.SENTIMENT, insight.sentiment), insight.sentiment, reasons)
    badges.append(_correctable(insight, "sentiment", insight.sentiment, badge))
    for emotion in a.get("emotions") or []:
        name = emotion.get("label")
        cues = [
            c.get("text", "")
            for c in (a.get("why") or {}).get("emotions") or []
            if c.get("category") == name and not _touches_personal(c, pieces)
        ]
        badges.append(Badge("emotions", labels.label(labels.EMOTION, name), "emotion", cues))
    if insight.intent:
        reasons = _reasons(insight, "intent", pieces) or [_confidence((a.get("intent") or {}).get("score"))]
        badge = Badge("intent", labels.label(labels.INTENT, insight.intent), "intent", reasons)
        badges.append(_correctable(insight, "intent", insight.intent, badge))
    if insight.voice:
        reasons = _reasons(insight, "voice", pieces) or [_confidence((a.get("voice") or {}).get("score"))]
        badge = Badge("voice", labels.label(labels.VOICE, insight.voice), "voice", reasons)
        badges.append(_correctable(insight, "voice", insight.voice, badge))
    reasons = _reasons(insight, "urgency", pieces) or [_("no urgency trigger in the text")]
    badges.append(Badge("urgency", labels.label(labels.URGENCY, insight.urgency), insight.urgency, reasons))
    if insight.escalation_risk:
        reasons = _reasons(insight, "escalation", pieces) or [
            _confidence((a.get("escalation") or {}).get("score"))
        ]
        badge = Badge("escalation", _("Escalation risk"), "risk", reasons)
        badges.append(_correctable(insight, "escalation", "true", badge))
    address = a.get("address_form") or {}
    if address.get("register"):
        badges.append(
            Badge(
                "address_form",
                _("Addressed us as “%(term)s”") % {"term": address.get("term", "")},
                "address",
                [labels.label(labels.REGISTER, address["register"])],
            )
        )
    return badges


def more_corrections(insight: Insight) -> list[Correctable]:
    """The correctable signals without a badge now: the "correct…" menu offers them."""
    if insight.is_spam:
        return []
    more = []
    for signal in ("intent", "voice"):
        if not getattr(insight, signal):
            more.append(Correctable(signal, str(SIGNAL_TITLE[signal]), _options(signal), ""))
    if not insight.escalation_risk:
        title = str(SIGNAL_TITLE["escalation"])
        more.append(Correctable("escalation", title, _options("escalation"), "false"))
    more.append(Correctable("spam", str(SIGNAL_TITLE["spam"]), _options("spam"), "false"))
    return more


def _touches_personal(cue: dict, pieces: list[Piece]) -> bool:
    return any(p.personal for p in _pieces_within(pieces, cue.get("start", 0), cue.get("end", 0)))


# ---------------------------------------------------------------------------------------------------- macros


def visible_macros(user: User) -> QuerySet[Macro]:
    """Centre-wide macros, those of the agent's teams, and the agent's own."""
    return Macro.objects.filter(
        Q(team__isnull=True, owner__isnull=True) | Q(team_id__in=team_ids(user)) | Q(owner=user)
    ).select_related("team", "owner")


def search_macros(user: User, query: str = "", limit: int = 20) -> list[Macro]:
    qs = visible_macros(user)
    query = query.strip()[:50]
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(body__icontains=query))
    return list(qs.order_by("-use_count", "title", "id")[:limit])


def macro_values(conversation: Conversation, agent: User) -> dict[str, str]:
    """Values for a macro's variables in this conversation; the order number comes from the filter."""
    order_number = ""
    for message in conversation.messages.filter(direction=Direction.INBOUND, insight__isnull=False).order_by(
        "-sent_at", "-id"
    )[:5]:
        entities = message.insight.analysis.get("entities") or []
        orders = [e.get("text") for e in entities if e.get("kind") == "order_number" and e.get("text")]
        if orders:
            order_number = orders[0]
            break
    return {
        "customer_name": conversation.customer.display_name,
        "order_number": order_number,
        "agent_name": str(agent),
    }


def render_macro(macro: Macro, values: dict[str, str]) -> str:
    return fill_variables(macro.body, values)


# -------------------------------------------------------------------------------------------------- mentions


def unread_mentions(user: User) -> QuerySet[Mention]:
    return (
        Mention.objects.filter(user=user, read_at__isnull=True)
        .select_related("note__author", "note__conversation__customer")
        .order_by("-created_at")
    )
