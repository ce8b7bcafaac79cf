"""Reads for the API: what a token may see, paged by opaque cursors, and shaped with the desk's masking.

A token sees what its service account would see at the desk (``accounts.permissions``): every conversation,
or those of the teams it is limited to. Personal data is masked as the desk masks it (message text per the
filter's spans, subjects, customers' names and handles) unless the token has ``read:pii``.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from dabai.accounts.permissions import sees_all_conversations, visible_conversations
from dabai.api.models import ApiToken
from dabai.api.scopes import Scope, granted
from dabai.conversations.models import Conversation, Direction, Insight, Message
from dabai.conversations.selectors import InboxFilters, inbox_queryset
from dabai.customers.models import Customer
from dabai.customers.selectors import mask_handle, shown_name
from dabai.filter import mask
from dabai.knowledge.models import Article
from dabai.knowledge.selectors import published_articles, search_articles
from dabai.replies.selectors import message_pieces
from dabai.routing.models import ConversationSla, SlaClock


class InvalidCursor(ValueError):
    """A cursor this API did not give out (or for another listing)."""


def encode_cursor(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, keys: set[str]) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor(cursor) from None
    if not isinstance(data, dict) or set(data) != keys:
        raise InvalidCursor(cursor)
    return data


def _cursor_time(data: dict[str, Any], key: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(data[key]))
    except ValueError:
        raise InvalidCursor(str(data)) from None
    if moment.tzinfo is None:
        raise InvalidCursor(str(data))
    return moment


def _cursor_int(data: dict[str, Any], key: str) -> int:
    value = data[key]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise InvalidCursor(str(data))
    return value


def sees_personal_data(token: ApiToken) -> bool:
    return granted(token.scopes, Scope.READ_PII)


# ------------------------------------------------------------------------------------------- conversations


@dataclass(frozen=True)
class ConversationFilters:
    """The inbox's filters, plus an assignee and a team."""

    status: str = "active"
    channel: str = ""
    scope: str = "all"
    q: str = ""
    sort: str = "recent"
    assignee_id: int | None = None
    team_id: int | None = None


def conversations(token: ApiToken, filters: ConversationFilters) -> QuerySet[Conversation]:
    inbox = InboxFilters(
        status="" if filters.status == "any" else filters.status,
        channel=filters.channel,
        scope=filters.scope,
        q=filters.q.strip()[:100],
        sort=filters.sort,
    )
    qs = inbox_queryset(token.service_user, inbox)
    if filters.assignee_id is not None:
        qs = qs.filter(assignee_id=filters.assignee_id)
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    return qs.prefetch_related("tags")


def conversation_page(
    token: ApiToken, filters: ConversationFilters, cursor: str | None, limit: int
) -> tuple[list[Conversation], str | None]:
    """One page in the inbox's order: keyset on (last message, id) for ``recent``, an offset for ``sla``."""
    qs = conversations(token, filters)
    if filters.sort == "sla":
        offset = _cursor_int(decode_cursor(cursor, {"o"}), "o") if cursor else 0
        rows = list(qs[offset : offset + limit + 1])
        more = len(rows) > limit
        return rows[:limit], encode_cursor({"o": offset + limit}) if more else None
    if cursor:
        data = decode_cursor(cursor, {"t", "i"})
        at, pk = _cursor_time(data, "t"), _cursor_int(data, "i")
        qs = qs.filter(Q(last_message_at__lt=at) | Q(last_message_at=at, pk__lt=pk))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = (
        encode_cursor({"t": last.last_message_at.isoformat(), "i": last.pk}) if more and last else None
    )
    return rows, next_cursor


def conversation_for(token: ApiToken, pk: int) -> Conversation | None:
    return (
        visible_conversations(token.service_user, Conversation.objects.all())
        .select_related("customer", "assignee", "team", "sla")
        .prefetch_related("tags")
        .filter(pk=pk)
        .first()
    )


def tags_of(conversation: Conversation) -> list[str]:
    """Sorted tag names; lists prefetch them (``conversations``), one query otherwise."""
    return sorted(t.name for t in conversation.tags.all())


def _sla_of(conversation: Conversation) -> ConversationSla | None:
    try:
        return conversation.sla
    except ConversationSla.DoesNotExist:
        return None


def conversation_out(conversation: Conversation, *, pii: bool) -> dict[str, Any]:
    sla = _sla_of(conversation)
    customer = conversation.customer
    return {
        "id": conversation.pk,
        "channel": conversation.channel,
        "subject": conversation.subject if pii else mask(conversation.subject),
        "status": conversation.status,
        "priority": conversation.priority,
        "is_public": conversation.is_public,
        "customer": {
            "id": customer.pk,
            "display_name": customer.display_name if pii else shown_name(customer.display_name),
        },
        "team": {"id": conversation.team.pk, "name": conversation.team.name} if conversation.team else None,
        "assignee": (
            {"id": conversation.assignee.pk, "name": str(conversation.assignee)}
            if conversation.assignee
            else None
        ),
        "created_at": conversation.created_at,
        "last_message_at": conversation.last_message_at,
        "last_inbound_at": conversation.last_inbound_at,
        "first_response_at": conversation.first_response_at,
        "resolved_at": conversation.resolved_at,
        "closed_at": conversation.closed_at,
        "message_count": conversation.message_count,
        "preview": conversation.preview,
        "tags": tags_of(conversation),
        "sla": (
            {
                "next_due_at": sla.next_due_at,
                "next_kind": sla.next_kind,
                "warn_at": sla.warn_at,
                "is_paused": sla.is_paused,
                "breached": sla.breached,
            }
            if sla is not None
            else None
        ),
    }


# ------------------------------------------------------------------------------------------------ messages


def _thread(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.select_related("author", "insight").order_by("sent_at", "id")


def message_page(
    conversation: Conversation, cursor: str | None, limit: int
) -> tuple[list[Message], str | None]:
    """Oldest first, keyset on (sent at, id)."""
    qs = _thread(conversation)
    if cursor:
        data = decode_cursor(cursor, {"t", "i"})
        at, pk = _cursor_time(data, "t"), _cursor_int(data, "i")
        qs = qs.filter(Q(sent_at__gt=at) | Q(sent_at=at, pk__gt=pk))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_cursor({"t": rows[-1].sent_at.isoformat(), "i": rows[-1].pk}) if more and rows else None
    )
    return rows, next_cursor


def message_for(token: ApiToken, pk: int) -> Message | None:
    visible = visible_conversations(token.service_user, Conversation.objects.all())
    return (
        Message.objects.select_related("author", "insight", "conversation")
        .filter(pk=pk, conversation__in=visible)
        .first()
    )


def insight_of(message: Message) -> Insight | None:
    if message.direction != Direction.INBOUND:
        return None
    try:
        return message.insight
    except Insight.DoesNotExist:
        return None


def message_out(message: Message, *, pii: bool) -> dict[str, Any]:
    insight = insight_of(message)
    personal = bool(insight.has_personal_data) if insight is not None else mask(message.body) != message.body
    body = message.body if pii else "".join(p.text for p in message_pieces(message, insight))
    author = message.author
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "channel": message.channel,
        "author": {"id": author.pk, "name": str(author)} if author is not None else None,
        "body": body,
        "has_personal_data": personal,
        "sent_at": message.sent_at,
        "delivery_status": message.delivery_status,
    }


# ------------------------------------------------------------------------------------------------ insights


def insight_page(
    conversation: Conversation, cursor: str | None, limit: int
) -> tuple[list[Insight], str | None]:
    qs = (
        Insight.objects.filter(message__conversation=conversation)
        .select_related("message")
        .order_by("message__sent_at", "message_id")
    )
    if cursor:
        data = decode_cursor(cursor, {"t", "i"})
        at, pk = _cursor_time(data, "t"), _cursor_int(data, "i")
        qs = qs.filter(Q(message__sent_at__gt=at) | Q(message__sent_at=at, message_id__gt=pk))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = (
        encode_cursor({"t": last.message.sent_at.isoformat(), "i": last.message_id})
        if more and last
        else None
    )
    return rows, next_cursor


def insight_out(insight: Insight) -> dict[str, Any]:
    analysis = insight.analysis or {}
    corrections = analysis.get("corrections") or {}
    return {
        "message_id": insight.message_id,
        "conversation_id": insight.message.conversation_id,
        "sentiment": insight.sentiment,
        "sentiment_score": insight.sentiment_score,
        "intent": insight.intent,
        "voice": insight.voice,
        "urgency": insight.urgency,
        "escalation_risk": insight.escalation_risk,
        "is_spam": insight.is_spam,
        "has_personal_data": insight.has_personal_data,
        "emotions": [e for e in analysis.get("emotions") or [] if isinstance(e, dict)],
        "uncertain": [str(s) for s in analysis.get("uncertain") or []],
        "corrections": {str(k): str((v or {}).get("value", "")) for k, v in corrections.items()},
        "masked_text": insight.masked_text,
        "model_version": insight.model_version,
        "created_at": insight.created_at,
    }


# ----------------------------------------------------------------------------------------------------- SLA


def sla_state(conversation: Conversation) -> dict[str, Any]:
    sla = _sla_of(conversation)
    clocks = SlaClock.objects.filter(conversation=conversation).order_by("started_at", "id")
    return {
        "conversation_id": conversation.pk,
        "next_due_at": sla.next_due_at if sla else None,
        "next_kind": sla.next_kind if sla else "",
        "is_paused": sla.is_paused if sla else False,
        "breached": sla.breached if sla else False,
        "clocks": [
            {
                "kind": c.kind,
                "state": c.state,
                "target_minutes": c.target_minutes,
                "started_at": c.started_at,
                "due_at": c.due_at,
                "warn_at": c.warn_at,
                "warned_at": c.warned_at,
                "breached_at": c.breached_at,
                "paused_at": c.paused_at,
                "stopped_at": c.stopped_at,
            }
            for c in clocks
        ],
    }


# ----------------------------------------------------------------------------------------------- customers


def customers(token: ApiToken, q: str = "", include_merged: bool = False) -> QuerySet[Customer]:
    """Every customer for an unrestricted token; else those with a conversation the token can see."""
    qs = Customer.objects.all()
    user = token.service_user
    if not sees_all_conversations(user):
        visible = visible_conversations(user, Conversation.objects.all()).values("customer_id")
        qs = qs.filter(pk__in=visible)
    if not include_merged:
        qs = qs.filter(merged_into__isnull=True)
    q = q.strip()[:100]
    if q:
        qs = qs.filter(Q(display_name__icontains=q) | Q(identities__external_id=q)).distinct()
    return qs.prefetch_related("identities", "tags")


def customer_page(
    token: ApiToken, q: str, include_merged: bool, cursor: str | None, limit: int
) -> tuple[list[Customer], str | None]:
    """Newest first, keyset on id."""
    qs = customers(token, q, include_merged).order_by("-pk")
    if cursor:
        qs = qs.filter(pk__lt=_cursor_int(decode_cursor(cursor, {"i"}), "i"))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor({"i": rows[-1].pk}) if more and rows else None


def customer_for(token: ApiToken, pk: int) -> Customer | None:
    return customers(token, include_merged=True).filter(pk=pk).first()


def customer_out(customer: Customer, *, pii: bool) -> dict[str, Any]:
    identities = sorted(customer.identities.all(), key=lambda i: (i.channel, i.pk))
    return {
        "id": customer.pk,
        "display_name": customer.display_name if pii else shown_name(customer.display_name),
        "tier": customer.tier,
        "tags": sorted(t.name for t in customer.tags.all()),
        "identities": [
            {
                "channel": i.channel,
                "value": (i.handle or i.external_id) if pii else mask_handle(i.handle or i.external_id),
            }
            for i in identities
        ],
        "merged_into_id": customer.merged_into_id,
        "created_at": customer.created_at,
    }


# ----------------------------------------------------------------------------------------------- knowledge


def _articles() -> QuerySet[Article]:
    return published_articles().select_related("category").prefetch_related("tags")


def article_page(language: str, cursor: str | None, limit: int) -> tuple[list[Article], str | None]:
    qs = _articles().order_by("-pk")
    if language:
        qs = qs.filter(language=language)
    if cursor:
        qs = qs.filter(pk__lt=_cursor_int(decode_cursor(cursor, {"i"}), "i"))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor({"i": rows[-1].pk}) if more and rows else None


def article_for(pk: int) -> Article | None:
    return _articles().filter(pk=pk).first()


def article_out(article: Article, *, body: bool = False) -> dict[str, Any]:
    out = {
        "id": article.pk,
        "slug": article.slug,
        "language": article.language,
        "title": article.title,
        "summary": article.summary,
        "category": article.category.name if article.category else None,
        "tags": sorted(t.name for t in article.tags.all()),
        "published_at": article.published_at,
        "updated_at": article.updated_at,
    }
    if body:
        out["body"] = article.body
    return out


def search(query: str, limit: int) -> dict[str, Any]:
    """The help centre's search (published, public articles), ranked as the desk and the bot rank them."""
    found, hits = search_articles(query, limit=limit, public_only=True)
    ids = [h.article.pk for h in hits]
    articles = _articles().in_bulk(ids)
    return {
        "query": query,
        "confidence": found.confidence,
        "hits": [
            {
                "article": article_out(articles[h.article.pk]),
                "score": h.score,
                "confidence": h.confidence,
                "snippet_html": str(h.snippet),
            }
            for h in hits
            if h.article.pk in articles
        ],
    }
