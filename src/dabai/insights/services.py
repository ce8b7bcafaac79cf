"""State changes of the voice-of-the-customer portal: the case index, saved searches and share links.

The case index is the portal's read model: one ``Case`` per conversation with a customer message, holding
masked text only. It is refreshed after the filter reads new messages, after replies and status changes
(receivers.py, through a task), and rebuilt in bulk by ``rebuild_case_index`` (demo, ``dabai voc_reindex``).
"""

import secrets
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlencode

from django.db import transaction
from django.utils import timezone

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.conversations.models import Conversation, Direction, Message
from dabai.insights import masking, search, topics
from dabai.insights.models import (
    Case,
    CaseShare,
    CaseTopic,
    NewsItem,
    NewsRead,
    SavedSearch,
    Topic,
    TopicFollow,
)
from dabai.insights.search import document_fields
from dabai.insights.selectors.facets import forget_counts

BATCH = 500
SUMMARY_LENGTH = 200


def _primary(values: Iterable[str], prefer: tuple[str, ...] = ()) -> str:
    """A conversation's label from its messages' labels: a preferred one if any message has it, otherwise
    the most frequent (first seen wins a tie)."""
    seen = [v for v in values if v]
    for value in prefer:
        if value in seen:
            return value
    return Counter(seen).most_common(1)[0][0] if seen else ""


def _product(insights: list) -> str:
    for insight in insights:
        for entity in (insight.analysis or {}).get("entities") or []:
            if entity.get("kind") == "product" and entity.get("text"):
                return str(entity["text"])[:40]
    return ""


def _case(conversation: Conversation, messages: list[Message]) -> Case | None:
    inbound = [m for m in messages if m.direction == Direction.INBOUND]
    if not inbound:
        return None
    names = [conversation.customer.display_name]
    insights = [
        m.insight for m in inbound if getattr(m, "insight", None) is not None and not m.insight.is_spam
    ]
    customer_text = "\n".join(masking.for_departments(m.body, names) for m in inbound)
    replies = "\n".join(
        masking.for_departments(m.body, names) for m in messages if m.direction == Direction.OUTBOUND
    )
    subject = masking.for_departments(conversation.subject, names)
    intents = [i.intent for i in insights]
    return Case(
        conversation=conversation,
        customer_id=conversation.customer_id,
        channel=conversation.channel,
        status=conversation.status,
        opened_at=min(m.sent_at for m in messages),
        intent=_primary([i for i in intents if i != "other"]) or _primary(intents),
        voice=_primary([i.voice for i in insights], prefer=("complaint",)),
        sentiment=_primary([i.sentiment for i in insights], prefer=("negative", "positive")),
        escalation=any(i.escalation_risk for i in insights),
        product=_product(insights),
        tier=conversation.customer.tier,
        message_count=len(messages),
        summary=masking.for_departments(inbound[0].body, names)[:SUMMARY_LENGTH],
        text=customer_text,
        **document_fields(subject, customer_text + "\n" + replies),
    )


def _with_follow_ups(conversation_ids: list[int]) -> set[int]:
    """Conversations that a department's follow-up links (through the follow-ups app's relation, when
    installed; the portal never imports it)."""
    if not hasattr(Conversation, "followups"):
        return set()
    return set(
        Conversation.objects.filter(pk__in=conversation_ids, followups__isnull=False).values_list(
            "pk", flat=True
        )
    )


def mark_follow_ups(conversation_ids: Iterable[int]) -> None:
    """Refresh the cases' "has follow-up" facet after follow-ups were linked or unlinked."""
    ids = list(conversation_ids)
    linked = _with_follow_ups(ids)
    Case.objects.filter(pk__in=ids).update(has_follow_up=False)
    Case.objects.filter(pk__in=linked).update(has_follow_up=True)


def index_cases(conversation_ids: Iterable[int]) -> int:
    """(Re)build the cases of these conversations from their messages and the filter's insights."""
    ids = sorted(set(conversation_ids))
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        conversations = Conversation.objects.filter(  # channel probes are no customer voice: never a case
            pk__in=chunk, customer__is_probe=False
        ).select_related("customer")
        by_conversation: dict[int, list[Message]] = {pk: [] for pk in chunk}
        messages = (
            Message.objects.filter(conversation_id__in=chunk)
            .exclude(direction=Direction.NOTE)
            .select_related("insight")
            .order_by("sent_at", "id")
        )
        for message in messages:
            by_conversation[message.conversation_id].append(message)
        cases = [
            c for c in (_case(conv, by_conversation[conv.pk]) for conv in conversations) if c is not None
        ]
        followed_up = _with_follow_ups(chunk)
        for c in cases:
            c.has_follow_up = c.pk in followed_up
        with transaction.atomic():
            Case.objects.filter(pk__in=chunk).delete()
            Case.objects.bulk_create(cases)
            gone = set(chunk) - {c.pk for c in cases}
            if gone:
                CaseTopic.objects.filter(case_id__in=gone).delete()
            topics.assign_cases([c.pk for c in cases])
        written += len(cases)
    search.forget_statistics()
    forget_counts()
    return written


def rebuild_case_index() -> int:
    """Every conversation with a customer message, indexed afresh."""
    ids = (
        Message.objects.filter(direction=Direction.INBOUND)
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    Case.objects.exclude(pk__in=ids).delete()
    CaseTopic.objects.exclude(case_id__in=ids).delete()
    return index_cases(list(ids))


def save_search(owner: User, name: str, params: dict[str, list[str]]) -> SavedSearch:
    """Keep a named search; only the library's own parameters are kept (never a page number)."""
    from dabai.insights.selectors import FILTER_PARAMS

    kept = [(key, value) for key in FILTER_PARAMS for value in params.get(key, []) if value]
    return SavedSearch.objects.create(
        owner=owner, name=name.strip()[:100] or "—", query_string=urlencode(kept)[:1000]
    )


def delete_search(owner: User, pk: int) -> bool:
    deleted, _ = SavedSearch.objects.filter(owner=owner, pk=pk).delete()
    return bool(deleted)


def share_case(actor: User, conversation: Conversation, note: str = "", request=None) -> CaseShare:
    """A link colleagues can open (still signed in and allowed to read the portal); audited."""
    share = CaseShare.objects.create(
        token=secrets.token_urlsafe(16)[:22],
        conversation=conversation,
        shared_by=actor,
        note=masking.for_departments(note, [conversation.customer.display_name])[:300],
    )
    record_audit(actor, "case.share", conversation, {"share": share.pk}, request=request)
    return share


def open_share(actor: User, share: CaseShare, request=None) -> None:
    CaseShare.objects.filter(pk=share.pk).update(opened_count=share.opened_count + 1)
    record_audit(actor, "case.share_open", share.conversation, {"share": share.pk}, request=request)


def record_case_view(actor: User, conversation: Conversation, request=None) -> None:
    record_audit(actor, "case.view", conversation, request=request)


def record_export(actor: User, rows: int, query_string: str, request=None) -> None:
    record_audit(actor, "case.export", actor, {"rows": rows, "filters": query_string[:500]}, request=request)


# ------------------------------------------------------------------------------------- follows and news


class NotInADepartment(PermissionError):
    """Only a department's member follows topics for it."""


def follow_topic(actor: User, topic: Topic) -> TopicFollow:
    """The actor's department follows the topic (idempotent)."""
    if actor.department_id is None:
        raise NotInADepartment
    follow, created = TopicFollow.objects.get_or_create(
        department_id=actor.department_id, topic=topic, defaults={"followed_by": actor}
    )
    if created:
        record_audit(actor, "topic.follow", topic, {"department": actor.department_id})
    return follow


def unfollow_topic(actor: User, topic: Topic) -> bool:
    if actor.department_id is None:
        raise NotInADepartment
    deleted, _ = TopicFollow.objects.filter(department_id=actor.department_id, topic=topic).delete()
    if deleted:
        record_audit(actor, "topic.unfollow", topic, {"department": actor.department_id})
    return bool(deleted)


def publish_news(
    author: User, title: str, body: str, *, pinned: bool = False, published_at: datetime | None = None
) -> NewsItem:
    """Centre news for the portal's front page; masked like everything departments read."""
    title, body = masking.for_departments(title.strip())[:200], masking.for_departments(body.strip())
    if not title or not body:
        raise ValueError("News needs a title and a text.")
    item = NewsItem.objects.create(
        title=title, body=body, author=author, is_pinned=pinned, published_at=published_at or timezone.now()
    )
    record_audit(author, "news.publish", item, {"title": title})
    return item


def edit_news(actor: User, item: NewsItem, title: str, body: str, *, pinned: bool) -> NewsItem:
    title, body = masking.for_departments(title.strip())[:200], masking.for_departments(body.strip())
    if not title or not body:
        raise ValueError("News needs a title and a text.")
    item.title, item.body, item.is_pinned = title, body, pinned
    item.save()
    record_audit(actor, "news.edit", item, {"title": title})
    return item


def delete_news(actor: User, item: NewsItem) -> None:
    record_audit(actor, "news.delete", item, {"title": item.title})
    item.delete()


def read_news(reader: User, item: NewsItem) -> bool:
    """Count a reader once; True the first time."""
    _read, created = NewsRead.objects.get_or_create(news=item, reader=reader)
    return created
