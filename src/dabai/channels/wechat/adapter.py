"""The WeChat adapter: Official Account callbacks in (verified at the door), customer-service API out."""

from typing import Any

from django.utils import timezone

from dabai.channels.adapter import Adapter, DeliveryResult, PermanentDeliveryError, customer_address
from dabai.channels.models import InboundPayload
from dabai.channels.sanitise import cap_extras, from_timestamp, identifier
from dabai.channels.services import is_subscribed, set_subscription
from dabai.channels.wechat.api import RETRYABLE_CODES, UNFOLLOWED, WeChatError, send_template, send_text
from dabai.channels.wechat.protocol import FIELDS, message_text, unwrap
from dabai.channels.wechat.templates import template_for
from dabai.conversations.models import Message
from dabai.conversations.services import Inbound
from dabai.core.choices import Channel
from dabai.customers.services import Handle, resolve_customer


def read_fields(fields: dict[str, str]) -> dict[str, Any]:
    """What a callback says, or PayloadError when it is not a message or event we can keep (the door
    asks this before acknowledging, the drain again when it parses the stored callback)."""
    openid = identifier(fields.get("FromUserName", ""), "FromUserName")
    if fields.get("MsgType") == "event":
        return {"openid": openid, "event": fields.get("Event", "").lower()}
    created = fields.get("CreateTime", "").strip()
    msg_id = identifier(fields.get("MsgId", ""), "MsgId", required=False)
    return {
        "openid": openid,
        "event": "",
        "body": message_text(fields),
        "external_id": msg_id or f"{openid}:{created[:40]}",
        "sent_at": from_timestamp(created) or timezone.now(),
    }


class WeChatAdapter(Adapter):
    channel = Channel.WECHAT
    sources = ("callback",)

    def parse(self, payload: InboundPayload) -> list[Inbound]:
        fields = unwrap(bytes(payload.raw))
        read = read_fields(fields)
        if read["event"]:
            resolve_customer(Channel.WECHAT, read["openid"])  # a follower is a customer before they write
            if read["event"] in {"subscribe", "unsubscribe"}:
                set_subscription(Channel.WECHAT, read["openid"], read["event"] == "subscribe")
            return []
        return [
            Inbound(
                channel=Channel.WECHAT,
                handle=Handle(Channel.WECHAT, read["openid"]),
                body=read["body"],
                external_id=read["external_id"],
                raw_payload={"payload_id": payload.pk, **cap_extras(fields, FIELDS)},
                sent_at=read["sent_at"],
            )
        ]

    def send(self, message: Message) -> DeliveryResult:
        """A customer-service message, or a template message when an app above made it one (outside the
        48-hour window). WeChat's busy and rate-limit errors are retried; the others are permanent, and an
        unfollowed account (43004) is remembered so nobody sends to that follower again."""
        openid = customer_address(message, Channel.WECHAT)
        if not is_subscribed(Channel.WECHAT, openid):
            raise PermanentDeliveryError("the customer unfollowed the official account")
        template = template_for(message)
        try:
            if template is not None:
                return DeliveryResult(send_template(template.payload(openid)))
            return DeliveryResult(send_text(openid, message.body))
        except WeChatError as exc:
            if exc.code in RETRYABLE_CODES:
                raise
            if exc.code == UNFOLLOWED:
                set_subscription(Channel.WECHAT, openid, False)
            raise PermanentDeliveryError(str(exc)) from exc


adapter = WeChatAdapter()
