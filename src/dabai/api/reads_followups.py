"""Reads of follow-ups for the API: which a token may see, paged, shaped as the portal shows them.

A token acts through its service account (an agent). The follow-ups app's policy lets an agent see the
follow-ups linked to conversations it may open; a token that sees every conversation (not limited to teams)
sees every follow-up, as a supervisor does, since an integration (a BI tool, a ticket bridge) needs the
department queues too. Texts were masked when written and are masked again on the way out, as the portal does;
``read:pii`` does not unmask them (there is nothing unmasked stored).
"""

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from dabai.accounts.permissions import sees_all_conversations, visible_conversations
from dabai.api.models import ApiToken
from dabai.api.selectors import InvalidCursor, decode_cursor, encode_cursor
from dabai.conversations.models import Conversation
from dabai.followups import policy
from dabai.followups import selectors as followup_selectors
from dabai.followups.models import ACTIVE, FollowUp
from dabai.insights import masking


def visible(token: ApiToken) -> QuerySet[FollowUp]:
    user = token.service_user
    if sees_all_conversations(user):
        return FollowUp.objects.all()
    return policy.visible_followups(user)


def _conversations(token: ApiToken) -> QuerySet[Conversation]:
    return visible_conversations(token.service_user, Conversation.objects.all())


def page(
    token: ApiToken,
    *,
    status: str,
    department_id: int | None,
    overdue: bool,
    topic_id: int | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[FollowUp], str | None]:
    """Newest first, keyset on the id (stable while follow-ups are opened meanwhile)."""
    filters = followup_selectors.QueueFilters(
        status="" if status == "all" else status,
        overdue=overdue,
        department=department_id,
        topic=topic_id,
    )
    qs = followup_selectors.department_queue(None, filters=filters, base=visible(token)).order_by("-id")
    if cursor:
        data = decode_cursor(cursor, {"i"})
        last = data["i"]
        if not isinstance(last, int) or isinstance(last, bool) or not 0 <= last < 2**63:
            raise InvalidCursor(cursor)
        qs = qs.filter(pk__lt=last)
    rows = list(qs.prefetch_related("conversations")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor({"i": rows[-1].pk}) if more and rows else None


def one(token: ApiToken, pk: int) -> FollowUp | None:
    return (
        visible(token)
        .select_related("department", "owner", "opened_by", "topic")
        .prefetch_related("conversations")
        .filter(pk=pk)
        .first()
    )


def department_exists(pk: int) -> Any:
    return followup_selectors.departments().filter(pk=pk).first()


def department_member(department: Any, pk: int) -> Any:
    return followup_selectors.department_members(department).filter(pk=pk).first()


def conversations_for(token: ApiToken, ids: list[int]) -> list[Conversation]:
    """The cases to link that the token may open (others are refused by the caller, by id)."""
    return list(_conversations(token).filter(pk__in=ids).select_related("customer"))


def _user(user) -> dict[str, Any] | None:
    return {"id": user.pk, "name": str(user)} if user is not None else None


def openable(token: ApiToken, items: list[FollowUp]) -> set[int]:
    """Of the items' linked cases (prefetched), those the token may open: one query for a whole page."""
    ids = {c.pk for item in items for c in item.conversations.all()}
    return set(_conversations(token).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


def followup_out(item: FollowUp, seen: set[int], today: date | None = None) -> dict[str, Any]:
    """``seen``: the cases the token may open (``openable``); only those are listed."""
    today = today or timezone.localdate()
    return {
        "id": item.pk,
        "title": masking.for_departments(item.title),
        "description": masking.for_departments(item.description),
        "department": {"id": item.department.pk, "name": item.department.name},
        "owner": _user(item.owner),
        "opened_by": _user(item.opened_by),
        "status": item.status,
        "due": item.due,
        "overdue": bool(item.status in ACTIVE and item.due and item.due < today),
        "topic": {"id": item.topic.pk, "key": item.topic.key, "name": item.topic.name}
        if item.topic
        else None,
        "topic_key": item.topic_key,
        "source": item.source,
        "resolution_note": masking.for_departments(item.resolution_note),
        "conversation_ids": sorted(c.pk for c in item.conversations.all() if c.pk in seen),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
    }


def followup_detail(token: ApiToken, item: FollowUp) -> dict[str, Any]:
    """The follow-up with its cases (only those the token may open; masked summaries) and its log."""
    cases = followup_selectors.linked_cases(item, within=_conversations(token))
    return {
        **followup_out(item, openable(token, [item])),
        "cases": [
            {
                "conversation_id": c.pk,
                "channel": c.channel,
                "opened_at": c.opened_at,
                "summary": c.summary,
                "status": c.status,
            }
            for c in cases
        ],
        "events": [event_out(e) for e in followup_selectors.events(item)],
    }


def event_out(event: Any) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "actor": _user(event.actor),
        "body": masking.for_departments(event.body),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "created_at": event.created_at,
    }
