"""Replies leave through the conversation's channel: one sender per channel, chosen here."""

from django.db.models import Q

from dabai.channels import conf
from dabai.channels.models import Delivery
from dabai.channels.services import PermanentDeliveryError, is_subscribed
from dabai.conversations.models import Direction, Message
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity


def _identity(message: Message, *channels: str) -> str:
    identity = (
        ChannelIdentity.objects.filter(customer_id=message.conversation.customer_id, channel__in=channels)
        .order_by("-created_at")
        .first()
    )
    if identity is None:
        raise PermanentDeliveryError(f"the customer has no {'/'.join(channels)} address")
    return identity.external_id


def _email(message: Message) -> str:
    from dabai.channels.email import send_email_reply
    from dabai.channels.models import EmailHeader

    header = (
        EmailHeader.objects.filter(
            Q(message__conversation=message.conversation) & Q(message__direction=Direction.INBOUND)
        )
        .order_by("-message__sent_at")
        .first()
    )
    address = header.from_address if header else _identity(message, Channel.EMAIL)
    return send_email_reply(message, address)


def _sms(message: Message) -> str:
    from dabai.channels.sms import send_sms

    number = _identity(message, Channel.SMS, Channel.PHONE)
    if not is_subscribed(Channel.SMS, number):
        raise PermanentDeliveryError("the customer unsubscribed from SMS (退订)")
    if not conf.sms_gateway()["url"]:
        raise PermanentDeliveryError("no SMS gateway configured: call the customer back")
    delivery = Delivery.objects.filter(message=message).first()
    sent = [i for i in delivery.provider_id.split(",") if i] if delivery else []

    def progress(ids: list[str]) -> None:
        Delivery.objects.update_or_create(message=message, defaults={"provider_id": ",".join(ids)[:255]})

    return send_sms(number, message.body, sent, progress)


def _wechat(message: Message) -> str:
    from dabai.channels.wechat import send_text

    openid = _identity(message, Channel.WECHAT)
    if not is_subscribed(Channel.WECHAT, openid):
        raise PermanentDeliveryError("the customer unfollowed the official account")
    return send_text(openid, message.body)


def _weibo(message: Message) -> str:
    from dabai.channels.weibo import send_weibo_reply

    return send_weibo_reply(message)


def _chat(message: Message) -> str:
    from dabai.channels.chat import send_chat_reply

    return send_chat_reply(message)


SENDERS = {
    Channel.EMAIL: _email,
    Channel.CHAT: _chat,
    Channel.SMS: _sms,
    Channel.PHONE: _sms,
    Channel.WECHAT: _wechat,
    Channel.WEIBO: _weibo,
}


def send(message: Message) -> str:
    """Deliver one reply; returns the provider's id. PermanentDeliveryError means retrying is pointless."""
    sender = SENDERS.get(message.channel)
    if sender is None:
        raise PermanentDeliveryError(f"no sender for channel {message.channel}")
    return sender(message)
