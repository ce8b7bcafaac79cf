"""Campaigns on WeChat: a customer-service message inside the 48-hour window, the campaign's template
message outside it (filled in for each customer), or nothing, with the reason.

The template a message became is kept on its recipient row; the WeChat adapter asks for it when it delivers
the message (``channels.wechat.templates``, to which ``receivers`` registers ``wechat_template_for``).
"""

import re
from datetime import datetime, timedelta

from django.utils import timezone

from dabai.channels.services import is_subscribed
from dabai.channels.wechat.templates import SERVICE_WINDOW_HOURS, TemplateMessage
from dabai.conversations.models import Direction, Message
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity, Customer
from dabai.outreach.models import Campaign, Recipient, WeChatTemplate
from dabai.outreach.services.consent import personalise

WECHAT_WINDOW = timedelta(hours=SERVICE_WINDOW_HOURS)
# WeChat's typed template fields (the key's prefix: thing1, character_string2…) and the most characters each
# accepts; a longer value makes WeChat refuse the whole message (errcode 47003). Untyped keys (first,
# keyword1, remark) of older templates have no per-field limit.
FIELD_LIMITS = {
    "thing": 20,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "phone_number": 17,
    "car_number": 8,
    "name": 10,
    "phrase": 5,
}
_TYPED_KEY = re.compile(r"^([a-z_]+?)\d*$")


def add_wechat_template(
    *, name: str, template_id: str, fields: dict[str, str], url: str = "", for_incidents: bool = False
) -> WeChatTemplate:
    """A template message approved for the Official Account (admins also edit them in the admin)."""
    return WeChatTemplate.objects.create(
        name=name, template_id=template_id, fields=fields, url=url, for_incidents=for_incidents
    )


def fill_template(
    template: WeChatTemplate, campaign: Campaign, customer: Customer, form_of_address: str, now: datetime
) -> TemplateMessage:
    """The template's fields for this customer: {name}, {full_name}, {message}, {title}, {date} filled."""
    message = personalise(campaign.wechat_text, customer, form_of_address).strip()
    day = timezone.localdate(now).strftime("%Y年%m月%d日")
    data = {
        str(key): personalise(str(text), customer, form_of_address)
        .replace("{message}", message)
        .replace("{title}", campaign.name)
        .replace("{date}", day)
        for key, text in (template.fields or {}).items()
    }
    return TemplateMessage(
        template_id=template.template_id, data={k: fit_field(k, v) for k, v in data.items()}, url=template.url
    )


def fit_field(key: str, value: str) -> str:
    """The value as WeChat accepts it in a typed field: one line, cut to the field's limit with "…" (a
    campaign text written for SMS must not make WeChat refuse the whole notice)."""
    typed = _TYPED_KEY.match(key)
    limit = FIELD_LIMITS.get(typed.group(1)) if typed else None
    if limit is None:
        return value
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def template_text(template: TemplateMessage) -> str:
    """What the thread shows of a template message: its fields' values, one a line."""
    return "\n".join(value for value in template.data.values() if value.strip())


def wechat_way(
    campaign: Campaign, customer: Customer, form_of_address: str, now: datetime
) -> tuple[str, TemplateMessage | None]:
    """How a campaign reaches this follower: ("", None) a customer-service message inside the 48-hour
    window; ("", template) the campaign's template message outside it; (reason, None) not at all."""
    openid = (
        ChannelIdentity.objects.filter(customer=customer, channel=Channel.WECHAT)
        .order_by("-created_at")
        .values_list("external_id", flat=True)
        .first()
    )
    if openid is None:
        return "no_address", None
    if not is_subscribed(Channel.WECHAT, openid):
        return "wechat_unfollowed", None
    last_wrote = (
        Message.objects.filter(
            conversation__customer=customer, channel=Channel.WECHAT, direction=Direction.INBOUND
        )
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    if last_wrote is not None and last_wrote >= now - WECHAT_WINDOW:
        return "", None
    if campaign.wechat_template_id is None:
        return "outside_wechat_window", None
    return "", fill_template(campaign.wechat_template, campaign, customer, form_of_address, now)


def wechat_template_for(message: Message) -> TemplateMessage | None:
    """The template message a campaign made of this outbound WeChat message (``channels.wechat.templates``
    provider), or None for a customer-service message."""
    if message.direction != Direction.OUTBOUND or message.channel != Channel.WECHAT:
        return None
    stored = Recipient.objects.filter(message_id=message.pk).values_list("wechat_template", flat=True).first()
    if not stored:
        return None
    return TemplateMessage(
        template_id=stored["template_id"], data=dict(stored.get("data") or {}), url=stored.get("url", "")
    )
