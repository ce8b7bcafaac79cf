"""What a signed-in customer may read: their own conversations and the public parts of each."""

from django.db.models import QuerySet

from dabai.accounts.models import User
from dabai.conversations.models import Conversation, Direction, Message


def own_conversations(user: User) -> QuerySet[Conversation]:
    customer = getattr(user, "customer", None) if user.is_authenticated else None
    if customer is None:
        return Conversation.objects.none()
    return Conversation.objects.filter(customer=customer).order_by("-last_message_at")


def own_conversation(user: User, pk: int) -> Conversation | None:
    return own_conversations(user).filter(pk=pk).first()


def public_thread(conversation: Conversation) -> QuerySet[Message]:
    """Internal notes never reach the customer."""
    return conversation.messages.exclude(direction=Direction.NOTE).order_by("sent_at", "id")
