"""What a signed-in customer may read: their own conversations and the public parts of each."""

from django.db.models import Q, QuerySet

from dabai.accounts.models import User
from dabai.conversations.models import Conversation, Direction, Message
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
