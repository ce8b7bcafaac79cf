"""The chat adapter: what visitors type (stored raw, drained at once); replies live or by mail."""

from dabai.channels.adapter import Adapter, DeliveryResult, PayloadError
from dabai.channels.chat.visitors import ensure_customer, push, visitor_for
from dabai.channels.mail import send_email_reply
from dabai.channels.models import ChatVisitor, InboundPayload
from dabai.channels.sanitise import load_json
from dabai.conversations.models import Message
from dabai.conversations.services import Inbound
from dabai.core.choices import Channel


class ChatAdapter(Adapter):
    channel = Channel.CHAT
    sources = ("widget",)

    def parse(self, payload: InboundPayload) -> list[Inbound]:
        """One frame the widget sent; the visitor's customer record comes with their first message."""
        frame = load_json(bytes(payload.raw))
        if not isinstance(frame, dict):
            raise PayloadError("expected a chat frame")
        visitor = ChatVisitor.objects.select_related("customer").filter(pk=frame.get("visitor")).first()
        if visitor is None or not isinstance(frame.get("text"), str) or not frame["text"]:
            raise PayloadError("a chat frame needs its visitor and text")
        client_id = str(frame.get("client_id", ""))[:64]
        ensure_customer(visitor)
        return [
            Inbound(
                channel=Channel.CHAT,
                customer=visitor.customer,
                body=frame["text"],
                external_id=f"{visitor.token}:{client_id}",
                raw_payload={"visitor": visitor.pk, "client_id": client_id, "payload_id": payload.pk},
            )
        ]

    def send(self, message: Message) -> DeliveryResult:
        """Live to an open widget; to the visitor's email if they left one and are gone; else kept in
        history for when they come back."""
        visitor = visitor_for(message)
        if visitor is not None and visitor.connections <= 0 and visitor.email:
            return DeliveryResult(send_email_reply(message, visitor.email))
        if visitor is not None:
            push(visitor, message)
        return DeliveryResult(f"chat:{message.pk}")


adapter = ChatAdapter()
