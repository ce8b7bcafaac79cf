"""A VoC editor's changes to topics: define, edit, merge, promote, switch on or off (each audited)."""

from __future__ import annotations

import secrets

from django.db import transaction

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.insights.models import CaseTopic, Topic, TopicKind
from dabai.insights.topics.assignment import match_topic_history
from dabai.insights.topics.matching import keyword_groups


class TopicError(ValueError):
    """An editor's change that cannot be made (shown to them as it is)."""


def define_topic(actor: User, name: str, keywords: str = "", examples: str = "") -> Topic:
    name = name.strip()[:100]
    if not name:
        raise TopicError("A topic needs a name.")
    if not keyword_groups(keywords) and not examples.strip():
        raise TopicError("Give at least one keyword or example message.")
    topic = Topic.objects.create(
        kind=TopicKind.DEFINED,
        key=f"defined:{secrets.token_hex(6)}",
        name=name,
        keywords=keywords.strip()[:4000],
        examples=examples.strip()[:4000],
        renamed=True,
        created_by=actor,
    )
    record_audit(actor, "topic.define", topic, {"name": name})
    return topic


def edit_topic(
    actor: User, topic: Topic, *, name: str, keywords: str | None = None, examples: str | None = None
) -> Topic:
    """Rename any topic; change a defined topic's keywords and examples (its history is matched again)."""
    name = name.strip()[:100]
    if not name:
        raise TopicError("A topic needs a name.")
    topic.name, topic.renamed = name, True
    if topic.kind == TopicKind.DEFINED:
        if keywords is not None:
            topic.keywords = keywords.strip()[:4000]
        if examples is not None:
            topic.examples = examples.strip()[:4000]
        if not keyword_groups(topic.keywords) and not topic.examples.strip():
            raise TopicError("Give at least one keyword or example message.")
    topic.save()
    record_audit(actor, "topic.edit", topic, {"name": name})
    return topic


def merge_topic(actor: User, source: Topic, into: Topic) -> Topic:
    """A discovered topic joins another topic: its cases move there and later clusters like it too."""
    if source.kind != TopicKind.DISCOVERED:
        raise TopicError("Only discovered topics can be merged.")
    target = into
    while target.merged_into_id:
        target = target.merged_into
    if target.pk == source.pk:
        raise TopicError("A topic cannot be merged into itself.")
    with transaction.atomic():
        moved = CaseTopic.objects.filter(topic=source).exclude(
            case_id__in=CaseTopic.objects.filter(topic=target).values("case_id")
        )
        moved.update(topic=target)
        CaseTopic.objects.filter(topic=source).delete()
        Topic.objects.filter(merged_into=source).update(merged_into=target)
        source.merged_into, source.is_active = target, False
        source.save(update_fields=["merged_into", "is_active", "updated_at"])
    record_audit(actor, "topic.merge", source, {"into": target.pk})
    return target


def promote_topic(actor: User, topic: Topic, name: str = "") -> Topic:
    """A discovered topic becomes a defined one (same id): its top phrases become its keywords."""
    if topic.kind != TopicKind.DISCOVERED:
        raise TopicError("Only discovered topics can be promoted.")
    top = sorted(topic.terms.items(), key=lambda kv: -kv[1])[:5]
    topic.kind = TopicKind.DEFINED
    topic.keywords = "\n".join(term for term, _ in top)
    topic.name = (name.strip() or topic.name)[:100]
    topic.renamed = True
    topic.save()
    CaseTopic.objects.filter(topic=topic).delete()  # its cases are the keywords' from now on
    match_topic_history(topic)
    record_audit(actor, "topic.promote", topic, {"keywords": topic.keywords})
    return topic


def set_topic_active(actor: User, topic: Topic, active: bool) -> None:
    topic.is_active = active
    topic.save(update_fields=["is_active", "updated_at"])
    if topic.kind == TopicKind.DEFINED:
        match_topic_history(topic)
    record_audit(actor, "topic.activate" if active else "topic.deactivate", topic)
