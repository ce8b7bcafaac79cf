"""``analyse``: every signal of one customer message, with the evidence for each.

Pipeline per message: normalise (length-preserving) → codes (order/tracking) → personal data → entities →
one lexicon pass (escalation, emotions, urgency, spam cues) → linear model for sentiment, intent, voice,
escalation and spam → small rules that combine the two.  ``analyse_many`` does the same for a batch, with one
OpenCC call and one matrix gather for the whole batch.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from operator import itemgetter
from typing import Any

import numpy as np

from . import lexicon
from .entities import find_entities
from .features import URL_RE, extract_batch
from .model import Model, load_model
from .normalise import normalise, normalise_many
from .pii import NAME_RE, Span, apply_mask, find_codes, find_pii, find_pii_lenient

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
SENTIMENT_OVERRIDE = 0.8  # the act-based rule overrides only a model that is not sure of itself
_RULE_ESC = 0.85  # escalation score of a curated cue alone
MAX_CHARS = 20_000  # signals look at the first 20k characters; personal data is searched everywhere
_OVERLAP = 200  # windows for personal data overlap by more than the longest item (an address)

_SUSPICIOUS_URL = re.compile(
    r"t\.cn|bit\.ly|tinyurl|\.(?:xyz|top|vip|cc|tk|ml|ga|club|icu)\b|login|verify|secure|账户|认证|\d+\.\d+\.\d+\.\d+",
    re.I,
)
_KEYBOARD_RUN = re.compile(
    "|".join(
        row[i : i + 5]
        for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm", "poiuytrewq", "lkjhgfdsa")
        for i in range(len(row) - 4)
    )
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


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


def mask(text: str, *, lenient: bool = False) -> str:
    """Display-safe *text*: every personal-data span masked (``138****5678``, IDs keep the last 4).

    ``lenient=True`` is for text that leaves the agent's desk (departments, exports, public replies): it also
    masks what only has the shape of personal data (``138 1234 5678``, an ID with a wrong check digit, a
    card-shaped run failing Luhn), never order or courier numbers.  The default stays strict (validated).
    """
    return apply_mask(text, _all_pii(normalise(text), lenient=lenient))


def _all_pii(norm: str, head_codes: list[Span] | None = None, *, lenient: bool = False) -> list[Span]:
    """Personal data in the whole text, window by window, so a long text is never masked only in part."""
    find_pii_in = find_pii_lenient if lenient else find_pii
    if len(norm) <= MAX_CHARS:
        return find_pii_in(norm, find_codes(norm) if head_codes is None else head_codes)
    found: list[Span] = []
    for start in range(0, len(norm), MAX_CHARS - _OVERLAP):
        window = norm[start : start + MAX_CHARS]
        last = start + MAX_CHARS >= len(norm)
        for s in find_pii_in(window, find_codes(window)):
            if (s.start == 0 and start > 0) or (s.end == len(window) and not last):
                continue  # cut by the window edge: the overlapping neighbour window sees it whole
            span = Span(s.kind, s.start + start, s.end + start)
            if not any(span.overlaps(f) for f in found):
                found.append(span)
        if last:
            break
    return sorted(found, key=lambda s: s.start)


def _gibberish(norm: str) -> bool:
    """Keyboard mashing or symbol noise: no Chinese; latin with almost no vowels, or one repeated char."""
    if _CJK.search(norm):
        return False
    compact = norm.replace(" ", "")
    if len(compact) < 6 or _CJK.search(compact):
        return False
    if _KEYBOARD_RUN.search(compact.lower()):
        return True
    letters = [c for c in compact.lower() if c.isalpha()]
    if len(letters) >= 6:
        vowels = sum(c in "aeiouy" for c in letters)
        if vowels / len(letters) < 0.15:
            return True
    if len(letters) < len(compact) * 0.3 and not any(c.isdigit() for c in compact):
        return True
    return len(set(compact)) <= 2


@dataclass(slots=True)
class _Prepared:
    text: str
    norm: str
    low: str  # the first MAX_CHARS characters of norm, ASCII lower-cased (same length)
    channel: str | None
    codes: list[Span]
    pii: list[Span]
    entities: list[Span]
    cues: list[tuple[str, int, int]]
    cue_cats: list[str]  # the category of each cue hit
    cats: set[str]
    address: tuple[str, str, int, int] | None
    url_spans: list[tuple[int, int, bool]]
    # the hits of the cue groups the rules read (spam, esc, urg, emo), in text order; absent when none
    groups: dict[str, list[tuple[str, int, int]]]


_UPPER = re.compile("[A-Z]").search


def _prepare_many(texts: list[str], norms: list[str], channels: list[str | None]) -> list[_Prepared]:
    """Everything but the model, for a batch (the cue lexicons are matched for the whole batch at once)."""
    heads = [norm[:MAX_CHARS] if len(norm) > MAX_CHARS else norm for norm in norms]
    lows = [head.translate(_ASCII_LOWER) if _UPPER(head) else head for head in heads]
    # A name is personal data only after a cue (我叫, 收件人…), which few messages have: one scan of the
    # joined batch says which.  No part of the pattern matches the separator (control characters are
    # spaces after normalisation), so no match spans two messages.
    named = [False] * len(norms)
    if len(norms) > 8:
        joined = "\x00".join(norms)
        ends = list(accumulate(len(norm) + 1 for norm in norms))
        for m in NAME_RE.finditer(joined):
            named[bisect_right(ends, m.start())] = True
    else:
        named = [NAME_RE.search(norm) is not None for norm in norms]
    return [
        _prepare(text, norm, channel, head, low, cues, name)
        for text, norm, channel, head, low, cues, name in zip(
            texts, norms, channels, heads, lows, lexicon.match_cues_many(lows), named, strict=True
        )
    ]


def _prepare(
    text: str,
    norm: str,
    channel: str | None,
    head: str,
    low: str,
    cues: list[tuple[str, int, int]],
    named: bool = True,
) -> _Prepared:
    """*head* is the first ``MAX_CHARS`` of *norm*, *low* the same ASCII lower-cased, *cues* its cue hits;
    *named* is False when *norm* has no name cue."""
    digits = _FOUR_DIGITS(norm) is not None
    codes = find_codes(head) if digits else []  # every code has six digits in a row
    if len(norm) > MAX_CHARS:
        pii = _all_pii(norm, codes)
    elif digits or named or "@" in norm or "号" in norm:  # what every kind of personal data needs
        pii = find_pii(norm, codes)
    else:
        pii = []
    entities = find_entities(head, codes)
    groups: dict[str, list[tuple[str, int, int]]] = {}
    if cues:
        cue_cats = list(map(_FIRST, cues))
        cats = set(cue_cats)
        if not _ESC_CATS.isdisjoint(cats):
            cues = [
                ("neg_" + c if c.startswith("esc_") and lexicon.negated(head, s) else c, s, e)
                for c, s, e in cues
            ]
            cue_cats = list(map(_FIRST, cues))
            cats = set(cue_cats)
        if not _RULED_CATS.isdisjoint(cats):
            for hit in cues:
                group = _RULED_GROUP.get(hit[0])
                if group is not None:
                    if group in groups:
                        groups[group].append(hit)
                    else:
                        groups[group] = [hit]
    else:
        cue_cats, cats = [], set()
    urls = (
        [(m.start(), m.end(), bool(_SUSPICIOUS_URL.search(m.group()))) for m in URL_RE.finditer(head)]
        if "." in head or "//" in head  # every URL the pattern finds has one or the other
        else []
    )
    if not _CJK.search(head) and _gibberish(head):
        cats.add("gibberish")
    address = lexicon.match_address_form(head)
    return _Prepared(
        text, norm, low, channel, codes, pii, entities, cues, cue_cats, cats, address, urls, groups
    )


# The cue groups the rules read, each with its categories (a negated escalation cue, "neg_esc_…", is in none).
_RULED_GROUPS = tuple(
    (group, frozenset(cat for cat in lexicon.CUES if cat.partition("_")[0] == group))
    for group in ("spam", "esc", "urg", "emo")
)
_RULED_CATS = frozenset().union(*(members for _, members in _RULED_GROUPS))
_RULED_GROUP = {cat: group for group, members in _RULED_GROUPS for cat in members}
_FOUR_DIGITS = re.compile("[0-9]{4}").search  # every code and personal number has four digits in a row
_ESC_CATS = frozenset(cat for cat in lexicon.CUES if cat.startswith("esc_"))
_FIRST = itemgetter(0)


def _rule_scores(p: _Prepared) -> dict[str, Any]:
    """Scores from lexicons alone: the fallback without a model, and evidence blended with the model."""
    c = p.cats
    neg = sum(k in c for k in ("emo_anger", "emo_disappointment", "emo_anxiety")) + any(
        k.startswith("esc_") for k in c
    )
    pos = sum(k in c for k in ("emo_satisfaction", "emo_gratitude"))
    sentiment = "negative" if neg > pos else "positive" if pos > neg else "neutral"
    return {"sentiment": sentiment}


def _spam_rule(p: _Prepared) -> tuple[float, str | None]:
    """Spam evidence from cues: (score, reason)."""
    c = p.cats
    if any(s for _, _, s in p.url_spans):
        return 0.9, "phishing"
    if "spam_porn" in c:
        return 0.9, "porn"
    if "spam_seo" in c:
        return 0.85, "seo"
    scam = sum(1 for k, _, _ in p.groups.get("spam", ()) if k == "spam_scam")
    if scam >= 2 or (scam and p.url_spans):
        return 0.85, "scam"
    if "gibberish" in c:
        return 0.9, "gibberish"
    auto = sum(1 for k, _, _ in p.groups.get("spam", ()) if k == "spam_auto")
    if auto >= 2:
        return 0.8, "auto_notification"
    if auto and p.channel in (None, "sms", "email"):
        return 0.6, "auto_notification"
    if scam:
        return 0.4, "scam"
    return 0.0, None


_URGENT = frozenset(("urg_money", "urg_cutoff", "urg_vulnerable", "urg_repeat"))


def _urgency(
    p: _Prepared, escalation: bool, sentiment: str, voice: str | None, spam: bool
) -> tuple[str, list]:
    """Urgency from triggers: money or fraud at risk is critical; cut-offs, vulnerable, repeats are high."""
    c = p.cats
    why = _cues(p.text, p.groups["urg"]) if "urg" in p.groups else []
    if spam:
        return "low", []
    if "urg_fraud" in c or ("urg_money" in c and ("emo_anxiety" in c or "emo_anger" in c)):
        return "critical", why
    if "urg_cutoff" in c and "urg_vulnerable" in c:
        return "critical", why
    if not c.isdisjoint(_URGENT) or escalation or "emo_anger" in c:
        return "high", why
    if voice in ("praise", "suggestion") or (sentiment == "positive" and voice != "complaint"):
        return "low", why
    return "normal", why


_EMO_NAMES = {f"emo_{e}": e for e in EMOTIONS}
_EMO_ORDER = {f"emo_{e}": i for i, e in enumerate(EMOTIONS)}


def _emotion_rank(item: tuple[str, int]) -> int:
    return _EMO_ORDER[item[0]]


def _emotion_score(cues: int) -> float:
    """An emotion's score grows with the number of its cues: 0.6 for one, 0.8 for two, 1.0 from three on."""
    return round(min(1.0, 0.6 + 0.2 * (cues - 1)), 2)


_ASCII_LOWER = str.maketrans({c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


_NEGS = ("没有", "不是", "不能", "不会", "不要", "无法", "不", "没", "别", "未")


def _model_why(
    prepared: list[_Prepared],
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


def _cues(text: str, hits: Iterable[tuple[str, int, int]]) -> list[dict[str, Any]]:
    return [{"text": text[s:e], "start": s, "end": e, "source": "cue", "category": k} for k, s, e in hits]


def _round4(values: np.ndarray) -> list[float]:
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


# One message's model output, as :class:`_Scores` lays it out: spam and escalation probabilities, the
# sentiment, intent and voice labels with their rounded scores, the evidence ("why") of sentiment, intent,
# voice, spam and escalation, then the rounded spam probability (whole and halved) and the escalation score
# without and with a curated cue (each exact and rounded).
_Row = tuple[Any, ...]


class _Scores:
    """The model's output for a batch: one :data:`_Row` per message (plain Python values, built with a few
    calls per batch rather than many lookups per message)."""

    __slots__ = ("rows",)

    def __init__(
        self,
        model: Model,
        prepared: list[_Prepared],
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
                probs[name] = _round4(arr[np.arange(n), classes])
                labels[name] = list(map(model.heads[name].labels.__getitem__, classes.tolist()))
            top = model.top_features(
                gathered, owner, flat, name, classes, shown=shown, shown_pairs=(shown_owner, shown_flat)
            )
            whys[name] = _model_why(prepared, model.reasons, top, arr.ndim > 1)
        # The scores :func:`_finish` shows when no spam cue changes them, computed as it would (the same
        # float operations on the same doubles).
        spam = arrays["spam"].astype(np.float64)
        esc = 1 - (1 - arrays["escalation"].astype(np.float64)) * (1 - 0.0)
        esc_cued = 1 - (1 - arrays["escalation"].astype(np.float64)) * (1 - _RULE_ESC)
        self.rows: list[_Row] = list(
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
                _round4(spam),
                _round4(spam * 0.5),
                esc.tolist(),
                _round4(esc),
                esc_cued.tolist(),
                _round4(esc_cued),
                strict=True,
            )
        )


def _finish(p: _Prepared, model: Model | None, r: _Row | None) -> Analysis:
    """Combine the model's scores for one message (its :data:`_Row`, if any) with cue evidence into an
    :class:`Analysis`."""
    why: dict[str, list[dict[str, Any]]] = {}
    c = p.cats
    text = p.text
    groups = p.groups

    # Spam first: spam gets no intent or voice.
    rule_spam, reason = _spam_rule(p) if p.url_spans or "spam" in groups or "gibberish" in c else (0.0, None)
    spam_p = r[0] if r is not None else 0.0
    spam_score = (
        max(rule_spam, spam_p) if rule_spam >= 0.8 else (rule_spam + spam_p) / 2 if rule_spam else spam_p
    )
    # A short "法院见" looks like chatter to the model, but a message about a regulator, a lawyer or a
    # cut-off is a customer talking about the service, not noise.  A customer leaving their own e-mail or
    # number ("请回复到 li.lei@example.com") is talking to us; spam that carries contact details also carries
    # a spam cue or a link, which the rule sees.
    halved = (rule_spam < 0.8 and ("esc" in groups or "urg" in groups)) or (not rule_spam and bool(p.pii))
    if halved:
        spam_score *= 0.5
    # the rounded score: from the batch's rounding, unless a spam cue changed it
    spam_shown = round(spam_score, 4) if rule_spam or r is None else r[14] if halved else r[13]
    is_spam = spam_score >= 0.5
    if is_spam and reason is None:
        reason = "auto_notification" if "spam_auto" in c else "off_topic"
    spam_why = _cues(text, groups["spam"]) if "spam" in groups else []
    if p.url_spans:
        spam_why += [
            {"text": text[s:e], "start": s, "end": e, "source": "cue", "category": "url"}
            for s, e, _ in p.url_spans
        ]
    if is_spam and r is not None:
        spam_why += r[11]
    why["spam"] = spam_why

    # Escalation: curated cues are strong evidence; the model catches paraphrases.
    esc_cues = groups.get("esc", ())
    if r is None:
        esc_score = _RULE_ESC if esc_cues else 0.0
        esc_shown = round(esc_score, 4)
    else:  # 1 - (1 - model) * (1 - rule), the rule's score being 0.85 with a cue and 0 without
        esc_score, esc_shown = (r[17], r[18]) if esc_cues else (r[15], r[16])
    esc_risk = esc_score >= 0.5 and not is_spam
    why["escalation"] = _cues(text, esc_cues) if esc_cues else []
    if esc_risk and not esc_cues and r is not None:
        why["escalation"] += r[12]

    # Sentiment.
    if r is not None:
        sentiment = {"label": r[2], "score": r[3]}
        why["sentiment"] = r[8]
    else:
        label = _rule_scores(p)["sentiment"]
        sentiment = {"label": label, "score": 0.6}
    emo_cues = groups.get("emo", ())
    if r is None:
        why["sentiment"] = _cues(text, emo_cues)
    if is_spam:  # spam is not a customer speaking: it carries no customer sentiment
        sentiment = {
            "label": "neutral",
            "score": sentiment["score"] if sentiment["label"] == "neutral" else 0.5,
        }
        why["sentiment"] = []

    # Emotions: lexicon evidence, one entry per emotion, scored by the number of cues.
    if emo_cues:
        counts: dict[str, int] = {}
        for k, _, _ in emo_cues:
            counts[k] = counts.get(k, 0) + 1
        emotions = [
            {"label": _EMO_NAMES[k], "score": _emotion_score(n)}
            for k, n in sorted(counts.items(), key=_emotion_rank)
        ]
        why["emotions"] = [
            {"text": text[s:e], "start": s, "end": e, "source": "cue", "category": _EMO_NAMES[k]}
            for k, s, e in emo_cues
        ]
    else:
        emotions = []
        why["emotions"] = []

    # Intent and voice.
    intent = voice = None
    if not is_spam:
        if r is not None:
            intent = {"label": r[4], "score": r[5]}
            voice = {"label": r[6], "score": r[7]}
            why["intent"] = r[9]
            why["voice"] = r[10]
        else:
            intent = {"label": "other", "score": 0.5}
            voice = {"label": _rule_voice(p.norm, sentiment["label"]), "score": 0.5}
            why["intent"] = why["voice"] = []
        ruled = _sentiment_rule(p, voice["label"], esc_risk)
        if ruled and ruled[0] == sentiment["label"]:
            why["sentiment"] = ruled[1] + why["sentiment"]
        elif ruled and sentiment["score"] < SENTIMENT_OVERRIDE:
            # The act-based rule corrects a model that is unsure of itself.
            sentiment = {"label": ruled[0], "score": max(sentiment["score"], SENTIMENT_OVERRIDE)}
            why["sentiment"] = ruled[1] + why["sentiment"]

    urgency, urg_why = _urgency(p, esc_risk, sentiment["label"], voice and voice["label"], is_spam)
    why["urgency"] = urg_why

    address = None
    if p.address:
        _term, register, s, e = p.address
        address = {"term": text[s:e], "register": register}
        why["address_form"] = [{"text": text[s:e], "start": s, "end": e, "source": "cue"}]

    uncertain: tuple[str, ...] = ()
    if model is not None:
        floors = model.floors
        if sentiment["score"] < floors.get("sentiment", 0.0):
            uncertain += ("sentiment",)
        if intent is not None and intent["score"] < floors.get("intent", 0.0):
            uncertain += ("intent",)
        if voice is not None and voice["score"] < floors.get("voice", 0.0):
            uncertain += ("voice",)
    return Analysis(
        text,
        sentiment,
        emotions,
        intent,
        voice,
        {"risk": esc_risk, "score": esc_shown, "cues": [text[s:e] for _, s, e in esc_cues]},
        {"label": urgency},
        {"is_spam": is_spam, "score": spam_shown, "reason": reason if is_spam else None},
        p.pii,
        p.entities,
        address,
        why,
        model.version if model else RULES_VERSION,
        uncertain,
    )


_SERVICE_GROUPS = {"esc", "urg"}
_NEGATIVE_CUES = ("emo_anger", "emo_disappointment", "emo_anxiety", "urg_fraud", "urg_money", "urg_repeat")


def _sentiment_rule(p: _Prepared, voice: str, escalation: bool) -> tuple[str, list[dict[str, Any]]] | None:
    """Customer-service sentiment follows the act: a complaint, a threat or distress is negative, praise is
    positive, whatever the words.  Reviews and a small corpus cannot teach that a polite request carrying
    "第三次打电话了" is a negative experience; this rule does."""
    if voice == "praise":
        return "positive", []
    if escalation:
        return "negative", _cues(p.text, p.groups.get("esc", ()))
    if "emo" in p.groups or "urg" in p.groups:
        hits = [h for group in ("emo", "urg") for h in p.groups.get(group, ()) if h[0] in _NEGATIVE_CUES]
        cues = _cues(p.text, hits)
        if cues:
            return "negative", cues
    if voice == "complaint":
        return "negative", []
    if voice in ("question", "request") and "voi_complaint" not in p.cats:
        return "neutral", []  # a plain question or request, with no sign of trouble, is not negative
    return None


_QUESTION = re.compile(
    r"[?？]|吗|么|怎么|如何|为什么|为啥|哪|几|多少|是否|能不能|可不可以|\b(?:how|what|why|when|where|can|is)\b",
    re.I,
)
_REQUEST = re.compile(r"请|麻烦|帮我|帮忙|给我|我要|我想要|尽快|赶紧|\bplease\b", re.I)
_SUGGEST = re.compile(r"建议|希望你们|最好|要是能|如果能|应该|\bsuggest", re.I)
_PRAISE = re.compile(r"表扬|点赞|好评|感谢|谢谢|满意|给力|很棒|不错", re.I)


def _rule_voice(norm: str, sentiment: str) -> str:
    """Voice without a model, from sentence form."""
    if _SUGGEST.search(norm):
        return "suggestion"
    if sentiment == "positive" and _PRAISE.search(norm):
        return "praise"
    if sentiment == "negative":
        return "complaint"
    if _QUESTION.search(norm):
        return "question"
    if _REQUEST.search(norm):
        return "request"
    return "question"


def _locate(norm: str, feat: str) -> tuple[int, int] | None:
    """Span of a word, character or n-gram feature in the lower-cased normalised text."""
    kind, _, val = feat.partition(":")
    if kind not in ("w", "b", "t", "u", "n") or not val or "0" in val:
        return None
    i = norm.find(val)
    if i < 0:
        return None
    if kind == "n":  # a negated word: the span starts at its negator ("不满意", not "满意")
        for neg in ("没有", "不是", "不能", "不会", "不要", "无法", "不", "没", "别", "未"):
            if i >= len(neg) and norm.startswith(neg, i - len(neg)):
                return i - len(neg), i + len(val)
    return i, i + len(val)


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
    prepared = _prepare_many(texts, norms, channels)
    if m is None:
        return [_finish(p, None, None) for p in prepared]
    batch = extract_batch([p.low for p in prepared], channels, [p.cats for p in prepared], lowered=True)
    owner, flat = m.rows(batch)
    logits, gathered = m.gather(owner, flat, len(prepared))
    scores = _Scores(m, prepared, gathered, owner, flat, logits)
    return list(map(_finish, prepared, repeat(m), scores.rows))
