"""Topic assignments of cases, stored set-wise (``CaseTopic``): the intents the filter read and the defined
topics' rules; discovered topics are the clustering's (``discovered.py``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from dabai.conversations.models import Direction, Insight
from dabai.insights.models import Case, CaseTopic, Topic, TopicKind
from dabai.insights.topics.matching import Matcher, content_tokens, defined_matchers
from dabai.knowledge.text import fold
from dabai.replies import labels

BATCH = 2000


def intent_topics() -> dict[str, int]:
    """The built-in topic of every intent of the taxonomy (created on first use), by intent."""
    known = dict(Topic.objects.filter(kind=TopicKind.INTENT).values_list("key", "pk"))
    missing = [
        Topic(kind=TopicKind.INTENT, key=f"intent:{intent}", name=str(label)[:100])
        for intent, label in labels.INTENT.items()
        if intent != "other" and f"intent:{intent}" not in known
    ]
    if missing:
        Topic.objects.bulk_create(missing, ignore_conflicts=True)
        known = dict(Topic.objects.filter(kind=TopicKind.INTENT).values_list("key", "pk"))
    return {key.removeprefix("intent:"): pk for key, pk in known.items()}


def _case_intents(case_ids: list[int]) -> dict[int, set[str]]:
    """Every intent the filter read in each case's customer messages (not only the case's main one)."""
    out: dict[int, set[str]] = defaultdict(set)
    rows = Insight.objects.filter(
        message__conversation_id__in=case_ids, message__direction=Direction.INBOUND, is_spam=False
    ).values_list("message__conversation_id", "intent")
    for conversation_id, intent in rows:
        if intent:
            out[conversation_id].add(intent)
    return out


# ------------------------------------------------------------------------------------------ assignment


def assign_cases(case_ids: Iterable[int]) -> int:
    """(Re)assign the intent and defined topics of these cases; discovered ones are the clustering's."""
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    by_intent = intent_topics()
    matchers = defined_matchers()
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        cases = list(Case.objects.filter(pk__in=chunk).values_list("pk", "opened_at", "intent", "text"))
        intents = _case_intents(chunk)
        rows = []
        for pk, opened_at, intent, text in cases:
            for name in intents.get(pk, set()) | ({intent} if intent else set()):
                if name in by_intent:
                    rows.append(
                        CaseTopic(case_id=pk, topic_id=by_intent[name], opened_at=opened_at, source="intent")
                    )
            if matchers:
                folded, tokens = fold(text), frozenset(content_tokens(text))
                rows += [
                    CaseTopic(case_id=pk, topic_id=m.topic_id, opened_at=opened_at, source="defined")
                    for m in matchers
                    if m.matches(folded, tokens)
                ]
        with transaction.atomic():
            CaseTopic.objects.filter(case_id__in=chunk, source__in=["intent", "defined"]).delete()
            CaseTopic.objects.bulk_create(rows, ignore_conflicts=True)
        written += len(rows)
    return written


def match_topic_history(topic: Topic) -> int:
    """Apply one defined topic's rule to every case (after an editor defines or edits it), batch by batch."""
    CaseTopic.objects.filter(topic=topic, source="defined").delete()
    if topic.kind != TopicKind.DEFINED or not topic.is_active or topic.merged_into_id:
        return 0
    matcher = Matcher.of(topic)
    if not (matcher.words or matcher.examples):
        return 0
    written, last = 0, 0
    while True:
        batch = list(
            Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "opened_at", "text")[:BATCH]
        )
        if not batch:
            return written
        last = batch[-1][0]
        rows = [
            CaseTopic(case_id=pk, topic_id=topic.pk, opened_at=opened_at, source="defined")
            for pk, opened_at, text in batch
            if matcher.matches(fold(text), frozenset(content_tokens(text)))
        ]
        CaseTopic.objects.bulk_create(rows, ignore_conflicts=True)
        written += len(rows)


def intent_topic(intent: str) -> Topic:
    """The built-in topic of one intent of the taxonomy."""
    return Topic.objects.get(pk=intent_topics()[intent])
