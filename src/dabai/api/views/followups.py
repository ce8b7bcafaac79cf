"""Departments' follow-ups: list, read, open, move along, comment — through ``followups.services``.

The scope is the grant: a token with ``write:followups`` acts as a VoC editor would (open for any department,
change status, comment), on the follow-ups it may see (``reads_followups.visible``). Every write is audited
twice, as the desk's are: the service's own entry (the token's service account as actor) and
``api.followup.*`` with the token's name.
"""

from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from dabai.api import reads_followups as reads
from dabai.api import services
from dabai.api.auth import need
from dabai.api.errors import ApiError, FieldError, field_error
from dabai.api.schemas import (
    CommentIn,
    FollowUpDetailOut,
    FollowUpEventOut,
    FollowUpIn,
    FollowUpPage,
    FollowUpStatusIn,
    Id,
)
from dabai.api.scopes import Scope
from dabai.api.views.common import Cursor, Limit, PathId, found, responses
from dabai.followups import services as followup_services
from dabai.followups.models import Source

router = Router(tags=["Follow-ups"])


class FollowUpQuery(Schema):
    status: Literal["active", "open", "in_progress", "done", "wont_do", "all"] = "active"
    department_id: Id | None = None
    topic_id: Id | None = None
    overdue: bool = False


def _refused(error: ValidationError) -> ApiError:
    """The service's ValidationError as the API's 422, one field each (messages in the service's words)."""
    fields: list[FieldError] = []
    by_field = error.message_dict if hasattr(error, "error_dict") else {"body": error.messages}
    for name, messages in by_field.items():
        for message in messages:
            fields.append(field_error(name, "invalid", str(message)))
    return ApiError("validation_error", fields=fields)


@router.get("/followups", response=responses({200: FollowUpPage}), summary="List follow-ups")
def list_followups(
    request: HttpRequest, filters: Query[FollowUpQuery], cursor: Cursor = None, limit: Limit = 25
):
    """Newest first. `status` is `active` (open and in progress) unless given; `overdue=true`: active and past
    the due date. A token limited to teams sees the follow-ups of its teams' conversations. Titles and notes
    are masked as departments read them. Scope `read:followups`."""
    token = need(request, Scope.READ_FOLLOWUPS)
    rows, next_cursor = reads.page(
        token,
        status=filters.status,
        department_id=filters.department_id,
        overdue=filters.overdue,
        topic_id=filters.topic_id,
        cursor=cursor,
        limit=limit,
    )
    seen = reads.openable(token, rows)
    return {"items": [reads.followup_out(f, seen) for f in rows], "next_cursor": next_cursor}


@router.get(
    "/followups/{followup_id}", response=responses({200: FollowUpDetailOut}), summary="Get a follow-up"
)
def get_followup(request: HttpRequest, followup_id: PathId):
    """One follow-up with its cases (masked first words, as the portal shows them) and its log. The view is
    audited, as the portal's. Scope `read:followups`."""
    token = need(request, Scope.READ_FOLLOWUPS)
    item = found(reads.one(token, followup_id))
    followup_services.record_view(token.service_user, item, request)
    return reads.followup_detail(token, item)


@router.post("/followups", response=responses({201: FollowUpDetailOut}), summary="Open a follow-up")
def open_followup(request: HttpRequest, payload: FollowUpIn):
    """A department now owns doing something about what customers said (its people are told). Link cases by
    `conversation_ids` (only conversations this token may open). Scope `write:followups`."""
    token = need(request, Scope.WRITE_FOLLOWUPS)
    department = reads.department_exists(payload.department_id)
    if department is None:
        raise ApiError("validation_error", fields=[field_error("department_id", "invalid_choice")])
    owner = None
    if payload.owner_id is not None:
        owner = reads.department_member(department, payload.owner_id)
        if owner is None:
            raise ApiError("validation_error", fields=[field_error("owner_id", "invalid_choice")])
    wanted = sorted(set(payload.conversation_ids))
    conversations = reads.conversations_for(token, wanted)
    missing = sorted(set(wanted) - {c.pk for c in conversations})
    if missing:
        raise ApiError(
            "validation_error",
            fields=[field_error("conversation_ids", "invalid_choice", f"Unknown conversations: {missing}")],
        )
    source = Source.CASE if conversations or not payload.topic_key.strip() else Source.TOPIC
    try:
        with transaction.atomic():
            item = followup_services.open_followup(
                title=payload.title,
                description=payload.description,
                department=department,
                opened_by=token.service_user,
                owner=owner,
                due=payload.due,
                conversations=conversations,
                topic_key=payload.topic_key,
                source=source,
                source_ref=f"api:{token.prefix}",
            )
            services.record_write(
                token, "followup.open", item, {"department": department.pk, "cases": wanted}, request=request
            )
    except ValidationError as error:
        raise _refused(error) from None
    return Status(201, reads.followup_detail(token, found(reads.one(token, item.pk))))


@router.post(
    "/followups/{followup_id}/status",
    response=responses({200: FollowUpDetailOut}),
    summary="Change a follow-up's status",
)
def set_followup_status(request: HttpRequest, followup_id: PathId, payload: FollowUpStatusIn):
    """open → in progress → done / won't do (or back to open). Closing needs a `note` (what was done, or why
    not): the agents of the linked cases get it with a draft for the customer. Scope `write:followups`."""
    token = need(request, Scope.WRITE_FOLLOWUPS)
    item = found(reads.one(token, followup_id))
    old = item.status
    try:
        with transaction.atomic():
            followup_services.change_status(item, payload.status, actor=token.service_user, note=payload.note)
            if payload.status != old:
                services.record_write(
                    token, "followup.status", item, {"from": old, "to": payload.status}, request=request
                )
    except ValidationError as error:
        raise _refused(error) from None
    return reads.followup_detail(token, found(reads.one(token, followup_id)))


@router.post(
    "/followups/{followup_id}/comments",
    response=responses({201: FollowUpEventOut}),
    summary="Comment on a follow-up",
)
def comment_followup(request: HttpRequest, followup_id: PathId, payload: CommentIn):
    """Add to the follow-up's log (masked on the way in: departments read it); whoever owns it hears of it.
    Scope `write:followups`."""
    token = need(request, Scope.WRITE_FOLLOWUPS)
    item = found(reads.one(token, followup_id))
    try:
        with transaction.atomic():
            event = followup_services.comment(item, actor=token.service_user, body=payload.body)
            services.record_write(token, "followup.comment", item, {"event": event.pk}, request=request)
    except ValidationError as error:
        raise _refused(error) from None
    return Status(201, reads.event_out(event))
