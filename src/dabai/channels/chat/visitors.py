"""Web chat visitors: known by a signed token, messages in over WebSocket, replies out live or by email.

The widget runs on the company's own website, another origin than dabai: third-party cookies do not cross
over, so the session endpoint hands the widget a signed visitor token that it keeps and shows again (in the
session request's body and as a WebSocket subprotocol, never in a URL that access logs would print). dabai's
own demo page also gets the same token as a first-party cookie.
"""

import json
import re
import secrets
import time
import unicodedata

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F
from django.utils.translation import gettext as _

from dabai.channels import conf
from dabai.channels.drain import drain_now
from dabai.channels.models import ChatVisitor
from dabai.channels.services import set_delivery_status, store_payload
from dabai.conversations.models import DeliveryStatus, Direction, Message
from dabai.core import live
from dabai.core.choices import Channel
from dabai.core.origins import is_own_origin, origin_matches
from dabai.customers.services import resolve_customer
from dabai.knowledge.selectors import chat_cards, popular_questions

COOKIE_SALT = "dabai.channels.chat.visitor"
MAX_MESSAGE_LENGTH = 4000
MAX_NAME_LENGTH = 100
SUBPROTOCOL = "dabai.chat"
TOKEN_SUBPROTOCOL_PREFIX = "dabai.visitor."
_SIGNER = signing.Signer(salt=COOKIE_SALT, sep=".")  # "." keeps the token a valid WebSocket subprotocol


def visitor_group(visitor_id: int) -> str:
    return f"chat-visitor-{visitor_id}"


def sign_visitor(visitor: ChatVisitor) -> str:
    """The visitor's token: what the widget keeps and shows again, and the demo page's cookie."""
    return _SIGNER.sign(visitor.token)


def visitor_from_token(value: str | None) -> ChatVisitor | None:
    """The visitor behind a token (or an older cookie), or None if it is missing or was tampered with."""
    if not value or len(value) > 512:
        return None
    try:
        token = signing.loads(value, salt=COOKIE_SALT) if ":" in value else _SIGNER.unsign(value)
    except signing.BadSignature:
        return None
    if not isinstance(token, str):
        return None
    return ChatVisitor.objects.select_related("customer").filter(token=token).first()


visitor_from_cookie = visitor_from_token


def token_from_subprotocols(subprotocols: list[str]) -> str:
    """The widget offers ``["dabai.chat", "dabai.visitor.<token>"]``; browsers cannot set other headers."""
    for offered in subprotocols:
        if offered.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            return offered[len(TOKEN_SUBPROTOCOL_PREFIX) :]
    return ""


def claim_new_session(address: str) -> int:
    """Count a new visitor from this address: 0 when allowed, else the seconds to wait (cache-based window).

    Starting a visitor costs one row and nothing else (the customer comes with the first message), but a
    script posting in a loop should still be told to slow down.
    """
    window, limit = max(1, conf.chat_session_window_seconds()), conf.chat_sessions_per_ip()
    now = time.time()
    slot = int(now // window)
    key = f"dabai:chat-sessions:{address or '-'}:{slot}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count <= limit:
        return 0
    return max(1, int((slot + 1) * window - now + 0.999))


def start_visitor() -> ChatVisitor:
    """A new anonymous visitor; their customer record waits for their first message."""
    return ChatVisitor.objects.create(token=secrets.token_urlsafe(24))


def _placeholder_name(visitor: ChatVisitor) -> str:
    return "访客 " + visitor.token[:6].upper()


def clean_name(value: str) -> str:
    """A name fit for a mail header: control characters (CR, LF, tabs…) become spaces, runs of space one."""
    value = "".join(" " if unicodedata.category(ch)[0] in {"C", "Z"} else ch for ch in str(value))
    return re.sub(r" +", " ", value).strip()[:MAX_NAME_LENGTH]


def clean_email(value: str) -> str:
    """A single valid address in lower case, or a ValidationError the visitor can read."""
    value = str(value).strip().lower()
    try:
        if len(value) > 254:
            raise ValidationError("too long")
        validate_email(value)
    except ValidationError:
        raise ValidationError(_("Please enter a valid email address."), code="invalid_email") from None
    return value


def identify_visitor(
    visitor: ChatVisitor, *, email: str = "", phone: str = "", name: str = ""
) -> ChatVisitor:
    """Remember how to reach a visitor after they leave (the answer goes there if they are gone).

    A bad email is refused with a ValidationError and nothing is changed.
    """
    if email:
        visitor.email = clean_email(email)
    if phone:
        visitor.phone = clean_name(phone)[:30]
    if name and clean_name(name):
        visitor.name = clean_name(name)
        if visitor.customer_id is not None and visitor.customer.display_name == _placeholder_name(visitor):
            visitor.customer.display_name = visitor.name
            visitor.customer.save(update_fields=["display_name"])
    visitor.save(update_fields=["email", "phone", "name", "last_seen_at"])
    return visitor


def ensure_customer(visitor: ChatVisitor) -> None:
    """The visitor's customer record, created with their first message (the chat identity is the token)."""
    if visitor.customer_id is not None:
        return
    customer = resolve_customer(
        Channel.CHAT, visitor.token, display_name=visitor.name or _placeholder_name(visitor)
    )
    ChatVisitor.objects.filter(pk=visitor.pk, customer__isnull=True).update(customer=customer)
    visitor.customer = customer


def visitor_connected(visitor_id: int, delta: int) -> None:
    ChatVisitor.objects.filter(pk=visitor_id).update(connections=F("connections") + delta)
    if delta < 0:
        ChatVisitor.objects.filter(pk=visitor_id, connections__lt=0).update(connections=0)


def receive_chat_message(visitor: ChatVisitor, text: str, client_id: str) -> Message | None:
    """Store what the visitor typed once, even if the widget re-sends it after a reconnect.

    The frame is stored raw first, then drained at once: the widget's acknowledgement names the message.
    None only if storing it failed for now (its retry chain stores it).
    """
    text = text.strip()[:MAX_MESSAGE_LENGTH]
    if not text:
        raise ValueError("empty message")
    frame = {"visitor": visitor.pk, "text": text, "client_id": client_id[:64]}
    payload = store_payload(Channel.CHAT, "widget", json.dumps(frame).encode())
    return drain_now(payload)


def history(visitor: ChatVisitor, limit: int = 50) -> list[dict]:
    """The visitor's own chat, oldest first: what the widget shows when it opens again."""
    if visitor.customer_id is None:
        return []
    messages = list(
        Message.objects.filter(conversation__customer=visitor.customer, channel=Channel.CHAT)
        .exclude(direction=Direction.NOTE)
        .order_by("-sent_at", "-id")[:limit]
    )
    cards = chat_cards([m.pk for m in messages if m.direction == Direction.OUTBOUND])
    return [as_event(m, cards.get(m.pk)) for m in reversed(messages)]


def as_event(message: Message, card: dict | None = None) -> dict:
    """One message as the widget draws it; the bot's answers and hand-overs carry a card (see
    ``knowledge.selectors.chat_cards``)."""
    event = {
        "id": message.pk,
        "from": "visitor" if message.direction == Direction.INBOUND else "agent",
        "text": message.body,
        "sent_at": message.sent_at.isoformat(),
    }
    if card:
        event["card"] = card
    return event


def welcome() -> dict:
    """What an opening widget shows before anyone types: suggested questions from the most-read articles."""
    return {"type": "welcome", "suggestions": popular_questions()}


def visitor_for(message: Message) -> ChatVisitor | None:
    visitors = ChatVisitor.objects.filter(customer_id=message.conversation.customer_id)
    return visitors.order_by("-last_seen_at").first()


def push(visitor: ChatVisitor, message: Message) -> None:
    card = chat_cards([message.pk]).get(message.pk) if message.direction == Direction.OUTBOUND else None
    event = {"type": "chat.reply", **as_event(message, card)}
    live.send([(visitor_group(visitor.pk), event)])


def push_live_reply(message: Message) -> bool:
    """Send the reply straight to an open widget and mark it sent; False when the visitor is not there."""
    visitor = visitor_for(message)
    if visitor is None or visitor.connections <= 0:
        return False
    push(visitor, message)
    set_delivery_status(message, DeliveryStatus.SENT, provider_id=f"chat:{message.pk}", attempt=True)
    return True


def check_origin(origin: str, host: str) -> tuple[bool, str]:
    """May a page from ``origin`` use the chat? (allowed, the origin to name in CORS headers or "").

    dabai's own pages (the demo) and callers that send no Origin (not a browser) need no CORS; the websites
    in ``DABAI_WIDGET_ORIGINS`` get it; any other site is refused.
    """
    if not origin:
        return True, ""
    if is_own_origin(origin, host):
        return True, ""
    if origin_matches(origin, conf.widget_origins()):
        return True, origin
    return False, ""
