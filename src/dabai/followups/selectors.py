"""Reads of follow-ups: a department's queue, a customer's open follow-ups, a follow-up's page, mentions,
notices and the export rows. Every text shown to departments is masked again on the way out (belt and braces:
it was masked when written)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import Department, Role, User
from dabai.conversations.models import Conversation, Direction
from dabai.customers.models import Customer
from dabai.followups.models import ACTIVE, CaseMention, FollowUp, FollowUpEvent, Notice, Status
from dabai.insights import masking

EXPORT_LIMIT = 10_000


def open_followups_for_customer(customer: Customer) -> list[FollowUp]:
    """The customer's open or in-progress follow-ups, linked through any of their conversations (the desk's
    customer panel shows them: "product is on it, due Friday")."""
    return list(
        FollowUp.objects.filter(status__in=ACTIVE, conversations__customer=customer)
        .select_related("department", "owner")
        .distinct()
        .order_by("due", "-created_at")
    )


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""  # a status, "active" (open + in progress) or "" (all)
    overdue: bool = False
    mine: bool = False
    department: int | None = None
    topic: int | None = None

    @classmethod
    def from_query(cls, query) -> QueueFilters:
        status = query.get("status", "active")
        if status not in {*Status.values, "active", "all"}:
            status = "active"
        department = _number(query.get("department"))
        return cls(
            status="" if status == "all" else status,
            overdue=query.get("overdue") == "1",
            mine=query.get("mine") == "1",
            department=department,
            topic=_number(query.get("topic")),
        )


def department_queue(
    department: Department | None,
    *,
    filters: QueueFilters | None = None,
    user: User | None = None,
    base: QuerySet[FollowUp] | None = None,
    today: date | None = None,
) -> QuerySet[FollowUp]:
    """A department's follow-ups (all departments with ``None``), filtered; overdue and soonest due first."""
    filters = filters or QueueFilters(status="active")
    today = today or timezone.localdate()
    qs = FollowUp.objects.all() if base is None else base
    if department is not None:
        qs = qs.filter(department=department)
    elif filters.department:
        qs = qs.filter(department_id=filters.department)
    if filters.status == "active":
        qs = qs.filter(status__in=ACTIVE)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.overdue:
        qs = qs.filter(status__in=ACTIVE, due__lt=today)
    if filters.topic:
        qs = qs.filter(topic_id=filters.topic)
    if filters.mine and user is not None:
        # the department member's own, the opener's, and (for an agent) those of their conversations
        theirs = FollowUp.objects.filter(conversations__assignee=user).values("pk")
        qs = qs.filter(Q(owner=user) | Q(opened_by=user) | Q(pk__in=theirs))
    return (
        qs.select_related("department", "owner", "opened_by", "topic")
        .annotate(case_count=Count("conversations", distinct=True))
        .order_by("due", "-created_at", "-id")
    )


def is_overdue(followup: FollowUp, today: date | None = None) -> bool:
    return bool(followup.is_active and followup.due and followup.due < (today or timezone.localdate()))


def counts(qs: QuerySet[FollowUp], today: date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    return qs.aggregate(
        open=Count("pk", filter=Q(status=Status.OPEN)),
        in_progress=Count("pk", filter=Q(status=Status.IN_PROGRESS)),
        overdue=Count("pk", filter=Q(status__in=ACTIVE, due__lt=today)),
        done=Count("pk", filter=Q(status=Status.DONE)),
    )


def followup(pk: int) -> FollowUp | None:
    return FollowUp.objects.select_related("department", "owner", "opened_by", "topic").filter(pk=pk).first()


def events(item: FollowUp) -> list[FollowUpEvent]:
    return list(item.events.select_related("actor").order_by("created_at", "id"))


@dataclass(frozen=True)
class LinkedCase:
    pk: int
    channel: str
    opened_at: datetime
    summary: str
    status: str


def linked_cases(item: FollowUp, within: QuerySet[Conversation] | None = None) -> list[LinkedCase]:
    """The follow-up's cases as departments may see them: a number, a channel and the masked first words
    (``within``: only these conversations, e.g. the ones an agent may open)."""
    qs = item.conversations.all() if within is None else item.conversations.filter(pk__in=within.values("pk"))
    return _previews(qs.select_related("customer").order_by("-last_message_at"))


def case_previews(ids: list[int]) -> list[LinkedCase]:
    """Cases about to be linked (the open form), masked the same way."""
    return _previews(Conversation.objects.filter(pk__in=ids[:200]).select_related("customer").order_by("-pk"))


def _previews(conversations) -> list[LinkedCase]:
    out = []
    for c in conversations:
        first = c.messages.filter(direction=Direction.INBOUND).order_by("sent_at", "id").first()
        text = masking.for_departments(first.body if first else c.preview, [c.customer.display_name])
        out.append(
            LinkedCase(c.pk, c.get_channel_display(), c.created_at, text[:120], c.get_status_display())
        )
    return out


def department_members(department: Department) -> QuerySet[User]:
    return User.objects.filter(department=department, role=Role.DEPARTMENT, is_active=True).order_by(
        "username"
    )


def departments() -> QuerySet[Department]:
    return Department.objects.order_by("name")


def conversations_by_ids(ids: list[int]) -> QuerySet[Conversation]:
    return Conversation.objects.filter(pk__in=ids).select_related("customer")


# -------------------------------------------------------------------------------------------- mentions


def mentions_for(member: User, *, answered: bool | None = None) -> QuerySet[CaseMention]:
    qs = CaseMention.objects.filter(member=member).select_related("mentioned_by", "conversation")
    if answered is not None:
        qs = qs.filter(answered_at__isnull=not answered)
    return qs.order_by("answered_at", "-created_at") if answered is None else qs


def mentions_on(conversation: Conversation) -> QuerySet[CaseMention]:
    """Who was already asked about this case (the desk's ask form lists them, with their answers)."""
    return CaseMention.objects.filter(conversation=conversation).select_related(
        "member", "answer", "mentioned_by"
    )


def mention(pk: int) -> CaseMention | None:
    return (
        CaseMention.objects.select_related("conversation__customer", "mentioned_by", "member")
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class ThreadLine:
    direction: str
    sent_at: datetime
    text: str
    author: str


def masked_thread(conversation: Conversation) -> list[ThreadLine]:
    """The case as a department member reads it: customer messages, replies and notes, all masked."""
    names = [conversation.customer.display_name]
    out = []
    for m in conversation.messages.select_related("author").order_by("sent_at", "id"):
        if m.direction == Direction.INBOUND:
            who = _("Customer")
        else:
            who = str(m.author) if m.author_id else _("Service centre")
        out.append(ThreadLine(m.direction, m.sent_at, masking.for_departments(m.body, names), who))
    return out


def answer_as_reply(item: CaseMention) -> str:
    """The member's answer, for the agent to turn into the reply (the desk shows it with the notes)."""
    return item.answer.body if item.answer_id else ""


# ---------------------------------------------------------------------------------------------- notices


def notices_for(user: User, *, unread_only: bool = False) -> QuerySet[Notice]:
    qs = Notice.objects.filter(recipient=user).select_related("followup", "mention")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user: User) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


# ----------------------------------------------------------------------------------------------- export


def export_header() -> list[str]:
    return [
        _("Follow-up"),
        _("Title"),
        _("Department"),
        _("Owner"),
        _("Status"),
        _("Due date"),
        _("Overdue"),
        _("Cases"),
        _("Topic"),
        _("Source"),
        _("Opened at"),
        _("Closed at"),
        _("Resolution note"),
        _("Link"),
    ]


def export_rows(qs: QuerySet[FollowUp], link) -> list[list]:
    today = timezone.localdate()
    rows = []
    for f in qs[:EXPORT_LIMIT]:
        rows.append(
            [
                f.pk,
                masking.for_departments(f.title),
                f.department.name,
                str(f.owner) if f.owner_id else "",
                f.get_status_display(),
                f.due.isoformat() if f.due else "",
                _("Yes") if is_overdue(f, today) else "",
                getattr(f, "case_count", 0),
                f.topic.name if f.topic_id else f.topic_key,
                f.get_source_display(),
                timezone.localtime(f.created_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(f.closed_at).strftime("%Y-%m-%d %H:%M") if f.closed_at else "",
                masking.for_departments(f.resolution_note),
                link(f.pk),
            ]
        )
    return rows
