"""``analyse``: every signal of one customer message, with the evidence for each.

Pipeline per message: normalise (length-preserving) → codes (order/tracking) → personal data → entities →
one lexicon pass (escalation, emotions, urgency, spam cues) → linear model for sentiment, intent, voice,
escalation and spam → small rules that combine the two.  ``analyse_many`` does the same for a batch, with one
OpenCC call and one matrix gather for the whole batch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import lexicon
from .entities import find_entities
from .features import URL_RE
from .model import Model, featurize, load_model
from .normalise import normalise, normalise_many
from .pii import Span, apply_mask, find_codes, find_pii, find_pii_lenient

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


def _cue(text: str, start: int, end: int, source: str = "cue", **extra: Any) -> dict[str, Any]:
    """One piece of evidence: a span of the original text and where it came from."""
    d = {"text": text[start:end], "start": start, "end": end, "source": source}
    if extra:
        d.update(extra)
    return d


def _gibberish(norm: str) -> bool:
    """Keyboard mashing or symbol noise: no Chinese; latin with almost no vowels, or one repeated char."""
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
    channel: str | None
    codes: list[Span]
    pii: list[Span]
    entities: list[Span]
    cues: list[tuple[str, int, int]]
    cats: set[str]
    address: tuple[str, str, int, int] | None
    url_spans: list[tuple[int, int, bool]]
    groups: dict[str, list[tuple[str, int, int]]]


def _prepare(text: str, norm: str, channel: str | None) -> _Prepared:
    head = norm[:MAX_CHARS]
    codes = find_codes(head)
    pii = _all_pii(norm, codes)
    entities = find_entities(head, codes)
    cues = lexicon.match_cues(head)
    if any(c.startswith("esc_") for c, _, _ in cues):
        cues = [
            ("neg_" + c if c.startswith("esc_") and lexicon.negated(head, s) else c, s, e) for c, s, e in cues
        ]
    cats = {c for c, _, _ in cues}
    urls = [(m.start(), m.end(), bool(_SUSPICIOUS_URL.search(m.group()))) for m in URL_RE.finditer(head)]
    if _gibberish(head):
        cats.add("gibberish")
    groups: dict[str, list[tuple[str, int, int]]] = {}
    for hit in cues:
        groups.setdefault(hit[0].partition("_")[0], []).append(hit)
    address = lexicon.match_address_form(head)
    return _Prepared(text, norm, channel, codes, pii, entities, cues, cats, address, urls, groups)


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


def _urgency(
    p: _Prepared, escalation: bool, sentiment: str, voice: str | None, spam: bool
) -> tuple[str, list]:
    """Urgency from triggers: money or fraud at risk is critical; cut-offs, vulnerable, repeats are high."""
    c = p.cats
    why = [_cue(p.text, s, e, category=k) for k, s, e in p.groups.get("urg", ())]
    if spam:
        return "low", []
    if "urg_fraud" in c or ("urg_money" in c and ("emo_anxiety" in c or "emo_anger" in c)):
        return "critical", why
    if "urg_cutoff" in c and "urg_vulnerable" in c:
        return "critical", why
    if c & {"urg_money", "urg_cutoff", "urg_vulnerable", "urg_repeat"} or escalation or "emo_anger" in c:
        return "high", why
    if voice in ("praise", "suggestion") or (sentiment == "positive" and voice != "complaint"):
        return "low", why
    return "normal", why


_EMO_NAMES = {f"emo_{e}": e for e in EMOTIONS}
_ASCII_LOWER = str.maketrans({c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def _argmax(values: list[float]) -> int:
    return values.index(max(values))


def _finish(
    p: _Prepared, model: Model | None, probs: dict[str, Any] | None, tops: dict[str, tuple] | None
) -> Analysis:
    """Combine model probabilities (if any) with cue evidence into an :class:`Analysis`."""
    why: dict[str, list[dict[str, Any]]] = {}
    c = p.cats
    text = p.text

    lowered = p.norm.translate(_ASCII_LOWER)
    by_cat: dict[str, list[tuple[int, int]]] = {}
    for k, s, e in p.cues:
        by_cat.setdefault(k, []).append((s, e))

    def model_why(head: str, cls: int) -> list[dict[str, Any]]:
        """Top features behind the model's own decision for *head*, if that decision was *cls*."""
        if tops is None or tops[head][0] != cls:
            return []
        out = []
        seen: set[tuple[int, int]] = set()
        for feat, weight in tops[head][1]:
            w = weight
            if feat[0] == "k":
                spans = by_cat.get(feat[2:])
            elif feat[0] in "wbtun":
                span = _locate(lowered, feat)
                spans = [span] if span else None
            else:
                continue  # channel and length priors are not evidence a person can check
            if not spans:
                out.append({"feature": feat, "source": "model", "weight": w})
                continue
            for s, e in spans[:2]:
                if (s, e) not in seen:  # a word and its bigram often point at the same text
                    seen.add((s, e))
                    out.append(
                        {
                            "text": text[s:e],
                            "start": s,
                            "end": e,
                            "source": "model",
                            "feature": feat,
                            "weight": w,
                        }
                    )
        return out

    # Spam first: spam gets no intent or voice.
    rule_spam, reason = _spam_rule(p)
    spam_p = float(probs["spam"]) if probs else 0.0
    spam_score = (
        max(rule_spam, spam_p) if rule_spam >= 0.8 else (rule_spam + spam_p) / 2 if rule_spam else spam_p
    )
    if rule_spam < 0.8 and p.groups.keys() & _SERVICE_GROUPS:
        # A short "法院见" looks like chatter to the model, but a message about a regulator, a lawyer or a
        # cut-off is a customer talking about the service, not noise.
        spam_score *= 0.5
    is_spam = spam_score >= 0.5
    if is_spam and reason is None:
        reason = "auto_notification" if "spam_auto" in c else "off_topic"
    why["spam"] = [_cue(text, s, e, category=k) for k, s, e in p.groups.get("spam", ())]
    why["spam"] += [_cue(text, s, e, category="url") for s, e, _ in p.url_spans]
    if is_spam:
        why["spam"] += model_why("spam", 1)

    # Escalation: curated cues are strong evidence; the model catches paraphrases.
    esc_cues = p.groups.get("esc", [])
    esc_p = float(probs["escalation"]) if probs else 0.0
    rule_esc = 0.85 if esc_cues else 0.0
    esc_score = 1 - (1 - esc_p) * (1 - rule_esc) if probs else rule_esc
    esc_risk = esc_score >= 0.5 and not is_spam
    why["escalation"] = [_cue(text, s, e, category=k) for k, s, e in esc_cues]
    if esc_risk and not esc_cues:
        why["escalation"] += model_why("escalation", 1)

    # Sentiment.
    if probs:
        sp = probs["sentiment"]
        si = _argmax(sp)
        sentiment = {"label": model.heads["sentiment"].labels[si], "score": round(sp[si], 4)}
        why["sentiment"] = model_why("sentiment", si)
    else:
        label = _rule_scores(p)["sentiment"]
        sentiment = {"label": label, "score": 0.6}
        why["sentiment"] = []
    emo_cues = p.groups.get("emo", [])
    if not probs:
        why["sentiment"] = [_cue(text, s, e, category=k) for k, s, e in emo_cues]
    if is_spam:  # spam is not a customer speaking: it carries no customer sentiment
        sentiment = {
            "label": "neutral",
            "score": sentiment["score"] if sentiment["label"] == "neutral" else 0.5,
        }
        why["sentiment"] = []

    # Emotions: lexicon evidence, one entry per emotion, scored by the number of cues.
    counts: dict[str, int] = {}
    for k, _, _ in emo_cues:
        counts[_EMO_NAMES[k]] = counts.get(_EMO_NAMES[k], 0) + 1
    emotions = [{"label": e, "score": round(min(1.0, 0.6 + 0.2 * (n - 1)), 2)} for e, n in counts.items()]
    emotions.sort(key=lambda d: EMOTIONS.index(d["label"]))
    why["emotions"] = [_cue(text, s, e, category=_EMO_NAMES[k]) for k, s, e in emo_cues]

    # Intent and voice.
    intent = voice = None
    if not is_spam:
        if probs:
            ip, vp = probs["intent"], probs["voice"]
            ii, vi = _argmax(ip), _argmax(vp)
            intent = {"label": model.heads["intent"].labels[ii], "score": round(ip[ii], 4)}
            voice = {"label": model.heads["voice"].labels[vi], "score": round(vp[vi], 4)}
            why["intent"] = model_why("intent", ii)
            why["voice"] = model_why("voice", vi)
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
        why["address_form"] = [_cue(text, s, e)]

    floors = model.floors if model else {}
    uncertain = tuple(
        name
        for name, value in (("sentiment", sentiment), ("intent", intent), ("voice", voice))
        if value is not None and model is not None and value["score"] < floors.get(name, 0.0)
    )
    return Analysis(
        uncertain=uncertain,
        text=text,
        sentiment=sentiment,
        emotions=emotions,
        intent=intent,
        voice=voice,
        escalation={
            "risk": esc_risk,
            "score": round(esc_score, 4),
            "cues": [text[s:e] for _, s, e in esc_cues],
        },
        urgency={"label": urgency},
        spam={"is_spam": is_spam, "score": round(spam_score, 4), "reason": reason if is_spam else None},
        pii=p.pii,
        entities=p.entities,
        address_form=address,
        why=why,
        model_version=model.version if model else RULES_VERSION,
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
        return "negative", [_cue(p.text, s, e, category=k) for k, s, e in p.groups.get("esc", ())]
    cues = [
        _cue(p.text, s, e, category=k)
        for group in ("emo", "urg")
        for k, s, e in p.groups.get(group, ())
        if k in _NEGATIVE_CUES
    ]
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
    prepared = [_prepare(t, n, ch) for t, n, ch in zip(texts, norms, channels, strict=True)]
    if m is None:
        return [_finish(p, None, None, None) for p in prepared]
    rows = [featurize(m, p.norm[:MAX_CHARS], p.channel, p.cats) for p in prepared]
    logits, gathered, owner, flat = m.gather(rows)
    probs = m.probabilities(logits)
    tops: dict[str, tuple[np.ndarray, list[list[tuple[str, float]]]]] = {}
    for name, arr in probs.items():
        classes = (arr >= 0.5).astype(np.int64) if arr.ndim == 1 else arr.argmax(axis=1)
        tops[name] = (classes, m.top_features_batch(gathered, owner, flat, name, classes))
    as_lists = {name: arr.tolist() for name, arr in probs.items()}  # Python floats: cheaper per message
    classes = {name: c.tolist() for name, (c, _) in tops.items()}
    out = []
    for i, p in enumerate(prepared):
        per = {name: values[i] for name, values in as_lists.items()}
        why = {name: (classes[name][i], t[i]) for name, (_, t) in tops.items()}
        out.append(_finish(p, m, per, why))
    return out
