"""``analyse``: every signal of one customer message, with the evidence for each.

Pipeline per message: normalise (length-preserving) → codes (order/tracking) → personal data → entities →
one lexicon pass (escalation, emotions, urgency, spam cues) → linear model for sentiment, intent, voice,
escalation and spam → small rules that combine the two.  ``analyse_many`` does the same for a batch, with one
OpenCC call and one matrix gather for the whole batch.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from itertools import repeat
from typing import Any

from ..features import extract_batch
from ..model import Model, load_model
from ..normalise import normalise, normalise_many
from ..pii import apply_mask
from .finish import finish
from .prepare import all_pii, prepare_many
from .reasons import Scores
from .result import (
    CHANNELS,
    EMOTIONS,
    INTENTS,
    RULES_VERSION,
    SENTIMENTS,
    URGENCIES,
    VOICES,
    Analysis,
)

__all__ = [
    "CHANNELS",
    "EMOTIONS",
    "INTENTS",
    "RULES_VERSION",
    "SENTIMENTS",
    "URGENCIES",
    "VOICES",
    "Analysis",
    "analyse",
    "analyse_many",
    "mask",
    "prepare_many",
]


def mask(text: str, *, lenient: bool = False) -> str:
    """Display-safe *text*: every personal-data span masked (``138****5678``, IDs keep the last 4).

    ``lenient=True`` is for text that leaves the agent's desk (departments, exports, public replies): it also
    masks what only has the shape of personal data (``138 1234 5678``, an ID with a wrong check digit, a
    card-shaped run failing Luhn), never order or courier numbers.  The default stays strict (validated).
    """
    return apply_mask(text, all_pii(normalise(text), lenient=lenient))


def _resolve_model(model: Model | str | None) -> Model | None:
    if model is None:
        return load_model()
    if isinstance(model, Model):
        return model
    return load_model(model)


def analyse(text: str, channel: str | None = None, *, model: Model | str | None = None) -> Analysis:
    """Analyse one message; *channel* is one of email, chat, sms, phone, weibo, wechat (or None)."""
    return analyse_many([(text, channel)], model=model)[0]


def analyse_many(
    texts_or_items: Iterable[str | tuple[str, str | None] | dict[str, Any]],
    channel: str | None = None,
    *,
    model: Model | str | None = None,
) -> list[Analysis]:
    """Analyse a batch; items are texts, ``(text, channel)`` pairs or dicts with ``text`` and ``channel``."""
    # A batch allocates many small acyclic objects (the results and their evidence); the cyclic garbage
    # collector would walk them again and again for nothing (about a fifth of the time).  Reference counting
    # frees them as usual; the collector resumes after the batch.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyse_many(texts_or_items, channel, model)
    finally:
        if enabled:
            gc.enable()


def _analyse_many(
    texts_or_items: Iterable[str | tuple[str, str | None] | dict[str, Any]],
    channel: str | None,
    model: Model | str | None,
) -> list[Analysis]:
    m = _resolve_model(model)
    texts: list[str] = []
    channels: list[str | None] = []
    for item in texts_or_items:
        if isinstance(item, str):
            texts.append(item)
            channels.append(channel)
        elif isinstance(item, dict):
            texts.append(str(item.get("text") or ""))
            channels.append(item.get("channel", channel))
        else:
            texts.append(str(item[0]))
            channels.append(item[1] if len(item) > 1 else channel)
    if not texts:
        return []
    norms = normalise_many(texts)
    prepared = prepare_many(texts, norms, channels)
    if m is None:
        return [finish(p, None, None) for p in prepared]
    batch = extract_batch([p.low for p in prepared], channels, [p.cats for p in prepared], lowered=True)
    owner, flat = m.rows(batch)
    logits, gathered = m.gather(owner, flat, len(prepared))
    scores = Scores(m, prepared, gathered, owner, flat, logits)
    return list(map(finish, prepared, repeat(m), scores.rows))
