"""Conversations, their messages, insights and SLA state; assignment, status, replies and notes."""

from typing import Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from dabai.accounts.models import Team
from dabai.accounts.selectors import desk_people
from dabai.api import selectors, services
from dabai.api.auth import need
from dabai.api.errors import ApiError, field_error
from dabai.api.schemas import (
    AssignIn,
    ConversationOut,
    ConversationPage,
    Id,
    InsightOut,
    InsightPage,
    MessageIn,
    MessageOut,
    MessagePage,
    SlaStateOut,
    StatusIn,
    TagsIn,
    TagsOut,
    TagsSetIn,
    Text,
)
from dabai.api.scopes import Scope
from dabai.api.views.common import Cursor, Limit, PathId, found, responses, reveal
from dabai.conversations import services as conversation_services
from dabai.core.choices import Channel
from dabai.replies import services as reply_services

router = Router(tags=["Conversations"])

ChannelName = Literal[tuple(Channel.values)]  # type: ignore[valid-type]


class ConversationQuery(Schema):
    status: Literal["active", "open", "pending", "resolved", "closed", "any"] = "active"
    channel: ChannelName | None = None
    scope: Literal["all", "unassigned", "team"] = "all"
    q: Text(max_length=100) = ""
    sort: Literal["recent", "sla"] = "recent"
    assignee_id: Id | None = None
    team_id: Id | None = None


@router.get("/conversations", response=responses({200: ConversationPage}), summary="List conversations")
def list_conversations(
    request: HttpRequest, filters: Query[ConversationQuery], cursor: Cursor = None, limit: Limit = 25
):
    """The inbox's filters (status, channel, unassigned or the token's teams, a search of names, handles
    and subjects) and orders (most recent first, or the nearest SLA deadline first).
    Scope `read:conversations`."""
    token = need(request, Scope.READ_CONVERSATIONS)
    rows, next_cursor = selectors.conversation_page(
        token,
        selectors.ConversationFilters(
            status=filters.status,
            channel=filters.channel or "",
            scope=filters.scope,
            q=filters.q,
            sort=filters.sort,
            assignee_id=filters.assignee_id,
            team_id=filters.team_id,
        ),
        cursor,
        limit,
    )
    pii = reveal(request, token, "conversations", [c.pk for c in rows])
    return {"items": [selectors.conversation_out(c, pii=pii) for c in rows], "next_cursor": next_cursor}


@router.get(
    "/conversations/{conversation_id}",
    response=responses({200: ConversationOut}),
    summary="Get a conversation",
)
def get_conversation(request: HttpRequest, conversation_id: PathId):
    """One conversation with its customer, team, assignee and SLA summary. Scope `read:conversations`."""
    token = need(request, Scope.READ_CONVERSATIONS)
    conversation = found(selectors.conversation_for(token, conversation_id))
    pii = reveal(request, token, "conversations", [conversation.pk])
    return selectors.conversation_out(conversation, pii=pii)


@router.post(
    "/conversations/{conversation_id}/assign",
    response=responses({200: ConversationOut}),
    summary="Assign a conversation",
)
def assign_conversation(request: HttpRequest, conversation_id: PathId, payload: AssignIn):
    """Hand the conversation to a desk user (or back to the queue with `assignee_id: null`), optionally to a
    team. Audited under the token's name. Scope `write:conversations`."""
    token = need(request, Scope.WRITE_CONVERSATIONS)
    conversation = found(selectors.conversation_for(token, conversation_id))
    assignee = None
    if payload.assignee_id is not None:
        assignee = desk_people().filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise ApiError("validation_error", fields=[field_error("assignee_id", "invalid_choice")])
    team = None
    if payload.team_id is not None:
        team = Team.objects.filter(pk=payload.team_id).first()
        if team is None:
            raise ApiError("validation_error", fields=[field_error("team_id", "invalid_choice")])
    with transaction.atomic():
        conversation_services.assign(conversation, assignee, actor=token.service_user, team=team)
        services.record_write(
            token,
            "conversation.assign",
            conversation,
            {"assignee": payload.assignee_id, "team": payload.team_id},
            request=request,
        )
    conversation = found(selectors.conversation_for(token, conversation_id))
    return selectors.conversation_out(conversation, pii=selectors.sees_personal_data(token))


@router.post(
    "/conversations/{conversation_id}/status",
    response=responses({200: ConversationOut}),
    summary="Change a conversation's status",
)
def set_status(request: HttpRequest, conversation_id: PathId, payload: StatusIn):
    """open → pending → resolved → closed (or back to open), as at the desk. Scope `write:conversations`."""
    token = need(request, Scope.WRITE_CONVERSATIONS)
    conversation = found(selectors.conversation_for(token, conversation_id))
    with transaction.atomic():
        old = conversation.status
        conversation_services.change_status(conversation, payload.status, actor=token.service_user)
        services.record_write(
            token, "conversation.status", conversation, {"from": old, "to": payload.status}, request=request
        )
    conversation = found(selectors.conversation_for(token, conversation_id))
    return selectors.conversation_out(conversation, pii=selectors.sees_personal_data(token))


@router.get(
    "/conversations/{conversation_id}/tags",
    response=responses({200: TagsOut}),
    summary="List a conversation's tags",
)
def get_tags(request: HttpRequest, conversation_id: PathId):
    """The conversation's tags, sorted by name. Scope `read:conversations`."""
    token = need(request, Scope.READ_CONVERSATIONS)
    conversation = found(selectors.conversation_for(token, conversation_id))
    return {"tags": selectors.tags_of(conversation)}


def _tag(
    request: HttpRequest, conversation_id: int, add: list[str], remove: list[str] | None
) -> dict[str, list[str]]:
    """Through the desk's ``tag`` service (its audit entry, its live event) plus the API's own entry.
    ``remove=None``: every tag not in ``add`` comes off (the PUT's whole set)."""
    token = need(request, Scope.WRITE_CONVERSATIONS)
    conversation = found(selectors.conversation_for(token, conversation_id))
    with transaction.atomic():
        before = selectors.tags_of(conversation)
        if remove is None:
            remove = [name for name in before if name not in set(add)]  # names come trimmed (``TagName``)
        after = conversation_services.tag(conversation, add=add, remove=remove, actor=token.service_user)
        if after != before:
            services.record_write(
                token,
                "conversation.tags",
                conversation,
                {"added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after))},
                request=request,
            )
    return {"tags": after}


@router.put(
    "/conversations/{conversation_id}/tags",
    response=responses({200: TagsOut}),
    summary="Replace a conversation's tags",
)
def put_tags(request: HttpRequest, conversation_id: PathId, payload: TagsSetIn):
    """Give the conversation exactly these tags (new names are created; an empty list takes all off).
    Audited under the token's name when anything changed. Scope `write:conversations`."""
    return _tag(request, conversation_id, payload.tags, None)


@router.post(
    "/conversations/{conversation_id}/tags",
    response=responses({200: TagsOut}),
    summary="Add or remove tags",
)
def change_tags(request: HttpRequest, conversation_id: PathId, payload: TagsIn):
    """Put some tags on and take others off, leaving the rest as they are (a name in both lists stays on).
    Audited under the token's name when anything changed. Scope `write:conversations`."""
    return _tag(request, conversation_id, payload.add, payload.remove)


@router.get(
    "/conversations/{conversation_id}/messages",
    response=responses({200: MessagePage}),
    summary="List a conversation's messages",
)
def list_messages(request: HttpRequest, conversation_id: PathId, cursor: Cursor = None, limit: Limit = 50):
    """Oldest first: customer messages, replies and internal notes. Scope `read:messages`."""
    token = need(request, Scope.READ_MESSAGES)
    conversation = found(selectors.conversation_for(token, conversation_id))
    rows, next_cursor = selectors.message_page(conversation, cursor, limit)
    pii = reveal(request, token, "messages", [m.pk for m in rows])
    return {"items": [selectors.message_out(m, pii=pii) for m in rows], "next_cursor": next_cursor}


@router.post(
    "/conversations/{conversation_id}/messages",
    response=responses({201: MessageOut}),
    summary="Post a reply or an internal note",
)
def create_message(request: HttpRequest, conversation_id: PathId, payload: MessageIn):
    """A reply goes to the customer through the conversation's channel (after commit, with retries); a note
    stays internal. A reply to a public post that carries personal data is refused
    (`personal_data_in_public`), and so is a reply that still holds a blank to fill (`unfilled_blank`),
    exactly as at the desk. Audited under the token's name. Scope
    `write:messages`."""
    token = need(request, Scope.WRITE_MESSAGES)
    conversation = found(selectors.conversation_for(token, conversation_id))
    try:
        with transaction.atomic():
            message = reply_services.send_from_desk(
                conversation, token.service_user, kind=payload.kind, body=payload.body
            )
            services.record_write(token, f"message.{payload.kind}", message, {}, request=request)
    except reply_services.ReplyRefused as refused:  # personal data on a public post, an unfilled blank
        raise ApiError(
            refused.code, fields=[field_error("body", refused.code, refused.messages[0])]
        ) from None
    message = found(selectors.message_for(token, message.pk))
    return Status(201, selectors.message_out(message, pii=selectors.sees_personal_data(token)))


@router.get("/messages/{message_id}", response=responses({200: MessageOut}), summary="Get a message")
def get_message(request: HttpRequest, message_id: PathId):
    """One message. Scope `read:messages`."""
    token = need(request, Scope.READ_MESSAGES)
    message = found(selectors.message_for(token, message_id))
    pii = reveal(request, token, "messages", [message.pk])
    return selectors.message_out(message, pii=pii)


@router.get(
    "/messages/{message_id}/insight", response=responses({200: InsightOut}), summary="Get a message's insight"
)
def get_insight(request: HttpRequest, message_id: PathId):
    """What the filter read in one customer message (404 until it has read it). Scope `read:insights`."""
    token = need(request, Scope.READ_INSIGHTS)
    message = found(selectors.message_for(token, message_id))
    insight = found(selectors.insight_of(message))
    return selectors.insight_out(insight)


@router.get(
    "/conversations/{conversation_id}/insights",
    response=responses({200: InsightPage}),
    summary="List a conversation's insights",
)
def list_insights(request: HttpRequest, conversation_id: PathId, cursor: Cursor = None, limit: Limit = 50):
    """The filter's reading of each customer message, oldest first. Scope `read:insights`."""
    token = need(request, Scope.READ_INSIGHTS)
    conversation = found(selectors.conversation_for(token, conversation_id))
    rows, next_cursor = selectors.insight_page(conversation, cursor, limit)
    return {"items": [selectors.insight_out(i) for i in rows], "next_cursor": next_cursor}


@router.get(
    "/conversations/{conversation_id}/sla",
    response=responses({200: SlaStateOut}),
    summary="Get a conversation's SLA state",
)
def get_sla(request: HttpRequest, conversation_id: PathId):
    """The next deadline and every clock (first response, next response, resolution). Scope `read:sla`."""
    token = need(request, Scope.READ_SLA)
    conversation = found(selectors.conversation_for(token, conversation_id))
    return selectors.sla_state(conversation)
