"""Reads of conversations shared by the desk, the API and the customer pages, shaped to stay fast at millions
of messages: the inbox's filters and ordering, one conversation for a user, a customer's conversations.  The
desk's own reads (pages, the thread) live in ``dabai.desk.selectors``.
"""

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from dabai.accounts.models import User
from dabai.accounts.permissions import team_ids, visible_conversations
from dabai.conversations.models import Conversation, Status

SCOPES = ("all", "mine", "unassigned", "team")
# "sla": most urgent deadline first (time left on the nearest SLA clock, kept by the routing app in the
# conversation's ``sla`` row); conversations without a running clock come last.
SORTS = ("recent", "sla")


@dataclass(frozen=True)
class InboxFilters:
    status: str = ""
    channel: str = ""
    scope: str = "all"
    q: str = ""
    sort: str = "recent"

    @classmethod
    def from_query(cls, params) -> "InboxFilters":
        status = params.get("status", "open")
        return cls(
            status=status if status in {*Status.values, "active", ""} else "open",
            channel=params.get("channel", ""),
            scope=params.get("scope", "all") if params.get("scope") in SCOPES else "all",
            q=params.get("q", "").strip()[:100],
            sort=params.get("sort") if params.get("sort") in SORTS else "recent",
        )


def inbox_queryset(user: User, filters: InboxFilters) -> QuerySet[Conversation]:
    qs = visible_conversations(user, Conversation.objects.all())
    if filters.status == "active":
        qs = qs.filter(status__in=[Status.OPEN, Status.PENDING])
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.scope == "mine":
        qs = qs.filter(assignee=user)
    elif filters.scope == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif filters.scope == "team":
        qs = qs.filter(team_id__in=team_ids(user))
    if filters.q:
        qs = qs.filter(
            Q(customer__display_name__icontains=filters.q)
            | Q(customer__identities__external_id=filters.q)
            | Q(subject__icontains=filters.q)
        ).distinct()
    qs = qs.select_related("customer", "assignee", "team", "sla")
    if filters.sort == "sla":
        return qs.order_by(F("sla__next_due_at").asc(nulls_last=True), "-last_message_at", "-id")
    return qs.order_by("-last_message_at", "-id")


def conversation_for(user: User, pk: int) -> Conversation | None:
    """The conversation if this user may open it, else None (the view answers 404, revealing nothing)."""
    return (
        visible_conversations(user, Conversation.objects.all())
        .select_related("customer", "assignee", "team")
        .filter(pk=pk)
        .first()
    )


def customer_conversations(user: User, customer_id: int) -> QuerySet[Conversation]:
    return (
        visible_conversations(user, Conversation.objects.filter(customer_id=customer_id))
        .select_related("assignee", "team")
        .order_by("-last_message_at")
    )
