"""The conversation list and its views, shaped to stay fast at millions of messages.

The list pages by LIMIT/OFFSET on an indexed ordering; what each row shows at a glance (unread for this agent,
the customer's latest mood and urgency, escalation) comes from correlated subqueries in the same SELECT, so a
page costs a fixed number of queries whatever its size. The views' counts are one grouped query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import User
from dabai.accounts.permissions import team_ids, visible_conversations
from dabai.conversations.models import Conversation, Insight, Status
from dabai.conversations.selectors import InboxFilters, inbox_queryset
from dabai.core.choices import Channel
from dabai.desk.models import ConversationRead
from dabai.routing.models import ComplaintCase

ACTIVE = (Status.OPEN, Status.PENDING)
# The views down the side of the list: key, title. Counted over active conversations this agent may see.
VIEWS = (
    ("all", _("All active")),
    ("mine", _("Mine")),
    ("unassigned", _("Unassigned")),
    ("team", _("My teams")),
    ("overdue", _("Overdue")),
    ("public", _("Public Weibo")),
    ("escalations", _("Escalations")),
    ("snoozed", _("Snoozed")),
)
VIEW_KEYS = {key for key, _title in VIEWS}
FILTER_PARAMS = ("view", "status", "channel", "scope", "q", "sort")


@dataclass(frozen=True)
class DeskFilters:
    """The list's filters: a view (a saved question, counted live) narrowed by the inbox's own filters."""

    view: str = "all"
    inbox: InboxFilters = InboxFilters(status="open")  # noqa: RUF009 (frozen, so one shared default is fine)

    @classmethod
    def from_query(cls, params) -> DeskFilters:
        view = params.get("view", "all")
        view = view if view in VIEW_KEYS else "all"
        return cls(view=view, inbox=InboxFilters.from_query(params))

    @property
    def querystring(self) -> str:
        """The filters as the list's URL carries them (defaults left out), for links and the back button."""
        values = {
            "view": self.view if self.view != "all" else "",
            "status": self.inbox.status if self.inbox.status != "open" else None,
            "channel": self.inbox.channel,
            "scope": self.inbox.scope if self.inbox.scope != "all" else "",
            "q": self.inbox.q,
            "sort": self.inbox.sort if self.inbox.sort != "recent" else "",
        }
        return urlencode({k: v for k, v in values.items() if v is not None and (v != "" or k == "status")})


def _escalated() -> Exists:
    """A complaint case, or a customer message the filter read as an escalation risk."""
    return Exists(ComplaintCase.objects.filter(conversation=OuterRef("pk"))) | Exists(
        Insight.objects.filter(message__conversation=OuterRef("pk"), escalation_risk=True, is_spam=False)
    )


def _in_view(view: str, user: User, now: datetime, teams: list[int] | None = None) -> Q:
    """The condition of one view (active conversations only; snoozed ones only in "snoozed" and "overdue")."""
    awake = Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)
    overdue = Q(sla__next_due_at__lt=now, sla__is_paused=False)
    return {
        "all": awake,
        "mine": awake & Q(assignee=user),
        "unassigned": awake & Q(assignee__isnull=True),
        "team": awake & Q(team_id__in=team_ids(user) if teams is None else teams),
        "overdue": overdue,
        "public": awake & Q(channel=Channel.WEIBO, is_public=True),
        "escalations": awake & Q(escalated=True),
        "snoozed": Q(snoozed_until__gt=now),
    }[view]


def view_counts(user: User, now: datetime | None = None) -> dict[str, int]:
    """How many active conversations each view holds for this agent: one grouped query."""
    now = now or timezone.now()
    qs = visible_conversations(user, Conversation.objects.filter(status__in=ACTIVE)).annotate(
        escalated=_escalated()
    )
    teams = team_ids(user)
    return qs.aggregate(**{key: Count("pk", filter=_in_view(key, user, now, teams)) for key in VIEW_KEYS})


def _latest_insight(field: str) -> Subquery:
    return Subquery(
        Insight.objects.filter(message__conversation=OuterRef("pk"), is_spam=False)
        .order_by("-message__sent_at", "-message__id")
        .values(field)[:1]
    )


def list_queryset(user: User, filters: DeskFilters, now: datetime | None = None) -> QuerySet[Conversation]:
    """The list for this agent: the inbox's filters, the view, and each row's at-a-glance facts."""
    now = now or timezone.now()
    read = ConversationRead.objects.filter(
        user=user, conversation=OuterRef("pk"), read_at__gte=OuterRef("last_inbound_at")
    )
    qs = inbox_queryset(user, filters.inbox).annotate(
        escalated=_escalated(),
        mood=_latest_insight("sentiment"),
        urgency=_latest_insight("urgency"),
        unread=Q(last_inbound_at__isnull=False) & ~Exists(read),
    )
    return qs.filter(_in_view(filters.view, user, now))


def list_page(user: User, filters: DeskFilters, page_number: int | str, per_page: int) -> Page:
    return Paginator(list_queryset(user, filters), per_page).get_page(page_number)


def neighbours(user: User, filters: DeskFilters, pk: int) -> tuple[int | None, int | None]:
    """The conversations before and after *pk* in this list (for k / j), without loading the list."""
    ids = list(list_queryset(user, filters).values_list("pk", flat=True)[:1000])
    if pk not in ids:
        return None, ids[0] if ids else None
    at = ids.index(pk)
    return (ids[at - 1] if at > 0 else None), (ids[at + 1] if at + 1 < len(ids) else None)


def next_active_conversation(user: User, pk: int) -> Conversation | None:
    """The active conversation after *pk* in the inbox order (newest activity first), wrapping around."""
    active = visible_conversations(user, Conversation.objects.filter(status__in=ACTIVE)).order_by(
        "-last_message_at", "-id"
    )
    current = Conversation.objects.filter(pk=pk).values("last_message_at", "id").first()
    if current is not None:
        after = active.filter(
            Q(last_message_at__lt=current["last_message_at"])
            | Q(last_message_at=current["last_message_at"], id__lt=current["id"])
        ).first()
        if after is not None:
            return after
    return active.exclude(pk=pk).first()
