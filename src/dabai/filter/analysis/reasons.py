"""The model's scores and evidence for a batch: labels, rounded scores and the words behind each decision."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model import Model
from .prepare import Prepared
from .rules import RULE_ESC

_NEGS = ("没有", "不是", "不能", "不会", "不要", "无法", "不", "没", "别", "未")


def model_why(
    prepared: list[Prepared],
    reasons: dict[int, tuple[str, str, str]],
    top: tuple[np.ndarray, ...],
    every: bool,
) -> list[list[dict[str, Any]]] | list[Any]:
    """Evidence for the top features behind one head's decisions, for the whole batch: per message, spans of
    the original text.  *top* is :meth:`Model.top_features`' (message, feature, weight) arrays, by message
    and strongest first; *reasons* gives each feature as :meth:`Model.reason`.  *every*: a list for every
    message; otherwise (spam and escalation, explained for a few messages and only added to other evidence)
    an empty tuple where there is no evidence.

    One loop over the batch's features, not a call per message and head: most messages have a few.
    """
    n = len(prepared)
    out: list[Any] = [[] for _ in range(n)] if every else [()] * n
    cur = -1
    for m, index, w in zip(*(a.tolist() for a in top), strict=True):
        feat, how, val = reasons[index]
        if m != cur:
            cur, p, found = m, prepared[m], out[m]
            if found.__class__ is tuple:
                found = out[m] = []
            text, low = p.text, p.low
            seen: list[tuple[int, int]] = []  # a word and its bigram often point at the same text
        if how == "s":  # the common case: a word or n-gram, at its first occurrence
            i = low.find(val)
            if i < 0:
                found.append({"feature": feat, "source": "model", "weight": w})
                continue
            e = i + len(val)
            span = (i, e)
            if span not in seen:
                seen.append(span)
                found.append(
                    {"text": text[i:e], "start": i, "end": e, "source": "model", "feature": feat, "weight": w}
                )
            continue
        if how == "k":  # the first two spans of a cue category (inline: a third of all reasons)
            cue_cats = p.cue_cats
            count = cue_cats.count(val)
            if not count:  # a flag no cue hit raises (url, qmark, gibberish)
                found.append({"feature": feat, "source": "model", "weight": w})
                continue
            i = cue_cats.index(val)
            _, s, e = p.cues[i]
            span = (s, e)
            if span not in seen:
                seen.append(span)
                found.append(
                    {"text": text[s:e], "start": s, "end": e, "source": "model", "feature": feat, "weight": w}
                )
            if count > 1:
                _, s, e = p.cues[cue_cats.index(val, i + 1)]
                span = (s, e)
                if span not in seen:
                    seen.append(span)
                    found.append(
                        {
                            "text": text[s:e],
                            "start": s,
                            "end": e,
                            "source": "model",
                            "feature": feat,
                            "weight": w,
                        }
                    )
        elif how == "n":
            i = low.find(val)
            if i < 0:
                found.append({"feature": feat, "source": "model", "weight": w})
                continue
            # a negated word: the span starts at its negator ("不满意", not "满意")
            s, e = i, i + len(val)
            for neg in _NEGS:
                if i >= len(neg) and low.startswith(neg, i - len(neg)):
                    s = i - len(neg)
                    break
            span = (s, e)
            if span not in seen:
                seen.append(span)
                found.append(
                    {"text": text[s:e], "start": s, "end": e, "source": "model", "feature": feat, "weight": w}
                )
        elif how == "-":
            found.append({"feature": feat, "source": "model", "weight": w})
        # else: channel and length priors are not evidence a person can check
    return out


def round4(values: np.ndarray) -> list[float]:
    """``[round(v, 4) for v in values]``, the same floats, with numpy for a batch: a scaled value's nearest
    integer is the rounded one unless the value is within a hair of a tie, and those few go through
    ``round``.  ``round`` alone costs about a quarter of a microsecond per score, five scores per message;
    for a few messages numpy's calls cost more than that."""
    exact = values.astype(np.float64)
    if exact.size < 64:
        return [round(v, 4) for v in exact.tolist()]
    scaled = exact * 1e4
    nearest = np.rint(scaled)
    out: list[float] = (nearest / 1e4).tolist()
    for i in np.flatnonzero(np.abs(np.abs(scaled - nearest) - 0.5) < 1e-6).tolist():
        out[i] = round(float(exact[i]), 4)
    return out


# One message's model output, as :class:`Scores` lays it out: spam and escalation probabilities, the
# sentiment, intent and voice labels with their rounded scores, the evidence ("why") of sentiment, intent,
# voice, spam and escalation, then the rounded spam probability (whole and halved) and the escalation score
# without and with a curated cue (each exact and rounded).
Row = tuple[Any, ...]


class Scores:
    """The model's output for a batch: one :data:`Row` per message (plain Python values, built with a few
    calls per batch rather than many lookups per message)."""

    __slots__ = ("rows",)

    def __init__(
        self,
        model: Model,
        prepared: list[Prepared],
        gathered: np.ndarray,
        owner: np.ndarray,
        flat: np.ndarray,
        logits: np.ndarray,
    ):
        n = logits.shape[0]
        probs: dict[str, list[float]] = {}
        labels: dict[str, list[str]] = {}
        whys: dict[str, list[list[dict[str, Any]]]] = {}
        shown = np.flatnonzero(
            model.explainable[flat]
        )  # function words (你们, 了, 吗) are never a reason alone
        shown_owner, shown_flat = owner[shown], flat[shown]
        arrays = model.probabilities(logits)
        for name, arr in arrays.items():
            if arr.ndim == 1:
                classes = (arr >= 0.5).astype(np.int64)
                probs[name] = arr.tolist()
            else:
                classes = arr.argmax(axis=1)
                probs[name] = round4(arr[np.arange(n), classes])
                labels[name] = list(map(model.heads[name].labels.__getitem__, classes.tolist()))
            top = model.top_features(
                gathered, owner, flat, name, classes, shown=shown, shown_pairs=(shown_owner, shown_flat)
            )
            whys[name] = model_why(prepared, model.reasons, top, arr.ndim > 1)
        # The scores :func:`finish` shows when no spam cue changes them, computed as it would (the same
        # float operations on the same doubles).
        spam = arrays["spam"].astype(np.float64)
        esc = 1 - (1 - arrays["escalation"].astype(np.float64)) * (1 - 0.0)
        esc_cued = 1 - (1 - arrays["escalation"].astype(np.float64)) * (1 - RULE_ESC)
        self.rows: list[Row] = list(
            zip(
                probs["spam"],
                probs["escalation"],
                labels["sentiment"],
                probs["sentiment"],
                labels["intent"],
                probs["intent"],
                labels["voice"],
                probs["voice"],
                whys["sentiment"],
                whys["intent"],
                whys["voice"],
                whys["spam"],
                whys["escalation"],
                round4(spam),
                round4(spam * 0.5),
                esc.tolist(),
                round4(esc),
                esc_cued.tolist(),
                round4(esc_cued),
                strict=True,
            )
        )
