"""The small rules that read cue hits: spam, urgency, emotions, and sentiment and voice without a model.

Rules decide what a linear model cannot learn from a small corpus (a complaint is negative whatever its words;
money at risk is critical) and give the evidence a supervisor can check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .prepare import Prepared
from .result import EMOTIONS

RULE_ESC = 0.85  # escalation score of a curated cue alone


def cue_evidence(text: str, hits: Iterable[tuple[str, int, int]]) -> list[dict[str, Any]]:
    return [{"text": text[s:e], "start": s, "end": e, "source": "cue", "category": k} for k, s, e in hits]


def rule_scores(p: Prepared) -> dict[str, Any]:
    """Scores from lexicons alone: the fallback without a model, and evidence blended with the model."""
    c = p.cats
    neg = sum(k in c for k in ("emo_anger", "emo_disappointment", "emo_anxiety")) + any(
        k.startswith("esc_") for k in c
    )
    pos = sum(k in c for k in ("emo_satisfaction", "emo_gratitude"))
    sentiment = "negative" if neg > pos else "positive" if pos > neg else "neutral"
    return {"sentiment": sentiment}


def spam_rule(p: Prepared) -> tuple[float, str | None]:
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


def urgency_rule(
    p: Prepared, escalation: bool, sentiment: str, voice: str | None, spam: bool
) -> tuple[str, list]:
    """Urgency from triggers: money or fraud at risk is critical; cut-offs, vulnerable, repeats are high."""
    c = p.cats
    why = cue_evidence(p.text, p.groups["urg"]) if "urg" in p.groups else []
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


EMO_NAMES = {f"emo_{e}": e for e in EMOTIONS}
_EMO_ORDER = {f"emo_{e}": i for i, e in enumerate(EMOTIONS)}


def emotion_rank(item: tuple[str, int]) -> int:
    return _EMO_ORDER[item[0]]


def emotion_score(cues: int) -> float:
    """An emotion's score grows with the number of its cues: 0.6 for one, 0.8 for two, 1.0 from three on."""
    return round(min(1.0, 0.6 + 0.2 * (cues - 1)), 2)


_NEGATIVE_CUES = ("emo_anger", "emo_disappointment", "emo_anxiety", "urg_fraud", "urg_money", "urg_repeat")


def sentiment_rule(p: Prepared, voice: str, escalation: bool) -> tuple[str, list[dict[str, Any]]] | None:
    """Customer-service sentiment follows the act: a complaint, a threat or distress is negative, praise is
    positive, whatever the words.  Reviews and a small corpus cannot teach that a polite request carrying
    "第三次打电话了" is a negative experience; this rule does."""
    if voice == "praise":
        return "positive", []
    if escalation:
        return "negative", cue_evidence(p.text, p.groups.get("esc", ()))
    if "emo" in p.groups or "urg" in p.groups:
        hits = [h for group in ("emo", "urg") for h in p.groups.get(group, ()) if h[0] in _NEGATIVE_CUES]
        cues = cue_evidence(p.text, hits)
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


def rule_voice(norm: str, sentiment: str) -> str:
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
