"""What a signed-in customer may read: their own conversations and the public parts of each."""

from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import User
from dabai.conversations.models import Conversation, Direction, Message, Status
from dabai.portal.policy import is_portal_customer


def own_conversations(user: User) -> QuerySet[Conversation]:
    """Every channel's conversations of the signed-in customer (and of records merged into theirs)."""
    customer = getattr(user, "customer", None) if is_portal_customer(user) else None
    if customer is None:
        return Conversation.objects.none()
    return Conversation.objects.filter(Q(customer=customer) | Q(customer__merged_into=customer)).order_by(
        "-last_message_at", "-id"
    )


def own_conversation(user: User, pk: int) -> Conversation | None:
    return own_conversations(user).filter(pk=pk).first()


def public_thread(conversation: Conversation) -> QuerySet[Message]:
    """Internal notes never reach the customer."""
    return conversation.messages.exclude(direction=Direction.NOTE).order_by("sent_at", "id")


# ----------------------------------------------------------- how the customer reads a request (issue 15)

IN_PROGRESS, WAITING_ON_YOU, SOLVED = "progress", "waiting", "solved"
CUSTOMER_STATUS = {
    IN_PROGRESS: _("In progress"),
    WAITING_ON_YOU: _("Waiting for your reply"),
    SOLVED: _("Solved"),
}
TITLE_LENGTH = 40


@dataclass(frozen=True)
class Request:
    """One conversation as the customer sees it in their list."""

    conversation: Conversation
    title: str
    state: str

    @property
    def state_label(self) -> str:
        return str(CUSTOMER_STATUS[self.state])


def customer_state(status: str, last_direction: str | None) -> str:
    """处理中 / 待您回复 / 已解决: the desk's five statuses as the customer understands them. We wait on them
    when the desk set "pending" or when our reply is the last word in an open conversation."""
    if status in {Status.RESOLVED, Status.CLOSED}:
        return SOLVED
    if status == Status.PENDING or last_direction == Direction.OUTBOUND:
        return WAITING_ON_YOU
    return IN_PROGRESS


def title_of(subject: str, first_message: str | None) -> str:
    """The subject, else the first line of the customer's first message (never the channel's name)."""
    text = (subject or "").strip() or next(
        (line.strip() for line in (first_message or "").splitlines() if line.strip()), ""
    )
    return text[:TITLE_LENGTH] + ("…" if len(text) > TITLE_LENGTH else "")


def own_requests(user: User, limit: int = 100) -> list[Request]:
    """The customer's list: titles and customer-facing states in three queries' worth of work."""
    thread = Message.objects.filter(conversation=OuterRef("pk")).exclude(direction=Direction.NOTE)
    rows = own_conversations(user).annotate(
        first_message=Subquery(
            thread.filter(direction=Direction.INBOUND).order_by("sent_at", "id").values("body")[:1]
        ),
        last_direction=Subquery(thread.order_by("-sent_at", "-id").values("direction")[:1]),
    )[:limit]
    return [
        Request(c, title_of(c.subject, c.first_message), customer_state(c.status, c.last_direction))
        for c in rows
    ]


def request_of(conversation: Conversation) -> Request:
    thread = public_thread(conversation)
    first = thread.filter(direction=Direction.INBOUND).values_list("body", flat=True).first()
    last = thread.order_by("-sent_at", "-id").values_list("direction", flat=True).first()
    return Request(
        conversation, title_of(conversation.subject, first), customer_state(conversation.status, last)
    )
