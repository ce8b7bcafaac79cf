"""One message's :class:`Analysis`: the model's scores combined with the cue evidence and the rules."""

from __future__ import annotations

from typing import Any

from ..model import Model
from .prepare import Prepared
from .reasons import Row
from .result import RULES_VERSION, Analysis
from .rules import (
    EMO_NAMES,
    RULE_ESC,
    cue_evidence,
    emotion_rank,
    emotion_score,
    rule_scores,
    rule_voice,
    sentiment_rule,
    spam_rule,
    urgency_rule,
)

SENTIMENT_OVERRIDE = 0.8  # the act-based rule overrides only a model that is not sure of itself


def finish(p: Prepared, model: Model | None, r: Row | None) -> Analysis:
    """Combine the model's scores for one message (its :data:`Row`, if any) with cue evidence into an
    :class:`Analysis`."""
    why: dict[str, list[dict[str, Any]]] = {}
    c = p.cats
    text = p.text
    groups = p.groups

    # Spam first: spam gets no intent or voice.
    rule_spam, reason = spam_rule(p) if p.url_spans or "spam" in groups or "gibberish" in c else (0.0, None)
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
    spam_why = cue_evidence(text, groups["spam"]) if "spam" in groups else []
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
        esc_score = RULE_ESC if esc_cues else 0.0
        esc_shown = round(esc_score, 4)
    else:  # 1 - (1 - model) * (1 - rule), the rule's score being 0.85 with a cue and 0 without
        esc_score, esc_shown = (r[17], r[18]) if esc_cues else (r[15], r[16])
    esc_risk = esc_score >= 0.5 and not is_spam
    why["escalation"] = cue_evidence(text, esc_cues) if esc_cues else []
    if esc_risk and not esc_cues and r is not None:
        why["escalation"] += r[12]

    # Sentiment.
    if r is not None:
        sentiment = {"label": r[2], "score": r[3]}
        why["sentiment"] = r[8]
    else:
        label = rule_scores(p)["sentiment"]
        sentiment = {"label": label, "score": 0.6}
    emo_cues = groups.get("emo", ())
    if r is None:
        why["sentiment"] = cue_evidence(text, emo_cues)
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
            {"label": EMO_NAMES[k], "score": emotion_score(n)}
            for k, n in sorted(counts.items(), key=emotion_rank)
        ]
        why["emotions"] = [
            {"text": text[s:e], "start": s, "end": e, "source": "cue", "category": EMO_NAMES[k]}
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
            voice = {"label": rule_voice(p.norm, sentiment["label"]), "score": 0.5}
            why["intent"] = why["voice"] = []
        ruled = sentiment_rule(p, voice["label"], esc_risk)
        if ruled and ruled[0] == sentiment["label"]:
            why["sentiment"] = ruled[1] + why["sentiment"]
        elif ruled and sentiment["score"] < SENTIMENT_OVERRIDE:
            # The act-based rule corrects a model that is unsure of itself.
            sentiment = {"label": ruled[0], "score": max(sentiment["score"], SENTIMENT_OVERRIDE)}
            why["sentiment"] = ruled[1] + why["sentiment"]

    urgency, urg_why = urgency_rule(p, esc_risk, sentiment["label"], voice and voice["label"], is_spam)
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
