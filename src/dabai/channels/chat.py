"""Web chat: visitors known by a signed cookie, messages in over WebSocket, replies out live or by email."""

import secrets

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import signing
from django.db.models import F

from dabai.channels.models import ChatVisitor
from dabai.conversations.models import DeliveryStatus, Direction, Message
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.customers.services import resolve_customer

COOKIE_SALT = "dabai.channels.chat.visitor"
MAX_MESSAGE_LENGTH = 4000


def visitor_group(visitor_id: int) -> str:
    return f"chat-visitor-{visitor_id}"


def sign_visitor(visitor: ChatVisitor) -> str:
    return signing.dumps(visitor.token, salt=COOKIE_SALT)


def visitor_from_cookie(value: str | None) -> ChatVisitor | None:
    """The visitor behind a cookie, or None if it is missing or was tampered with."""
    if not value:
        return None
    try:
        token = signing.loads(value, salt=COOKIE_SALT)
    except signing.BadSignature:
        return None
    return ChatVisitor.objects.select_related("customer").filter(token=token).first()


def start_visitor() -> ChatVisitor:
    """A new anonymous visitor with their own customer record (the chat identity is the token)."""
    token = secrets.token_urlsafe(24)
    customer = resolve_customer(Channel.CHAT, token, display_name="访客 " + token[:6].upper())
    return ChatVisitor.objects.create(token=token, customer=customer)


def identify_visitor(visitor: ChatVisitor, *, email: str = "", phone: str = "") -> ChatVisitor:
    """Remember how to reach a visitor after they leave (the answer goes there if they are gone)."""
    if email:
        visitor.email = email.strip().lower()[:254]
    if phone:
        visitor.phone = phone.strip()[:30]
    visitor.save(update_fields=["email", "phone", "last_seen_at"])
    return visitor


def visitor_connected(visitor_id: int, delta: int) -> None:
    ChatVisitor.objects.filter(pk=visitor_id).update(connections=F("connections") + delta)
    if delta < 0:
        ChatVisitor.objects.filter(pk=visitor_id, connections__lt=0).update(connections=0)


def receive_chat_message(visitor: ChatVisitor, text: str, client_id: str) -> Message:
    """Store what the visitor typed once, even if the widget re-sends it after a reconnect."""
    text = text.strip()[:MAX_MESSAGE_LENGTH]
    if not text:
        raise ValueError("empty message")
    return receive_message(
        channel=Channel.CHAT,
        customer=visitor.customer,
        body=text,
        external_id=f"{visitor.token}:{client_id[:64]}",
        raw_payload={"visitor": visitor.pk, "client_id": client_id[:64]},
    ).message


def history(visitor: ChatVisitor, limit: int = 50) -> list[dict]:
    """The visitor's own chat, oldest first: what the widget shows when it opens again."""
    messages = (
        Message.objects.filter(conversation__customer=visitor.customer, channel=Channel.CHAT)
        .exclude(direction=Direction.NOTE)
        .order_by("-sent_at", "-id")[:limit]
    )
    return [as_event(m) for m in reversed(messages)]


def as_event(message: Message) -> dict:
    return {
        "id": message.pk,
        "from": "visitor" if message.direction == Direction.INBOUND else "agent",
        "text": message.body,
        "sent_at": message.sent_at.isoformat(),
    }


def _visitor_for(message: Message) -> ChatVisitor | None:
    visitors = ChatVisitor.objects.filter(customer_id=message.conversation.customer_id)
    return visitors.order_by("-last_seen_at").first()


def _push(visitor: ChatVisitor, message: Message) -> None:
    event = {"type": "chat.reply", **as_event(message)}
    async_to_sync(get_channel_layer().group_send)(visitor_group(visitor.pk), event)


def push_live_reply(message: Message) -> bool:
    """Send the reply straight to an open widget and mark it sent; False when the visitor is not there."""
    from dabai.channels.services import set_delivery_status

    visitor = _visitor_for(message)
    if visitor is None or visitor.connections <= 0:
        return False
    _push(visitor, message)
    set_delivery_status(message, DeliveryStatus.SENT, provider_id=f"chat:{message.pk}", attempt=True)
    return True


def send_chat_reply(message: Message) -> str:
    """Live to an open widget; to the visitor's email if they left one and are gone; else kept in history."""
    from dabai.channels.email import send_email_reply

    visitor = _visitor_for(message)
    if visitor is not None and visitor.connections <= 0 and visitor.email:
        return send_email_reply(message, visitor.email)
    if visitor is not None:
        _push(visitor, message)
    return f"chat:{message.pk}"
