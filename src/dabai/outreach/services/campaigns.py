"""Campaigns: resolve a segment into recipient rows (set-wise), then hand each message to its channel once.

Idempotency: every (campaign, customer) has one ``Recipient`` row, claimed and turned into its outbound
message in a single transaction, so a worker killed mid-send either left the row waiting (nothing was
stored, nothing goes out) or left it sent with its message queued for the channel, whose delivery task
(``channels.tasks.deliver_reply``) skips messages already delivered. A re-run never sends twice.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from dabai.accounts.models import Role, User
from dabai.accounts.services import record_audit
from dabai.channels.models import Delivery
from dabai.channels.services import is_subscribed
from dabai.channels.tasks import deliver_reply
from dabai.channels.wechat.templates import SERVICE_WINDOW_HOURS, TemplateMessage
from dabai.conversations.models import Conversation, DeliveryStatus, Direction, Insight, Message
from dabai.conversations.services import post_reply, start_conversation
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity, Customer
from dabai.outreach import conf
from dabai.outreach.models import (
    CAPPED_KINDS,
    SKIP_REASONS,
    Campaign,
    CampaignKind,
    CampaignStatus,
    ContactPreference,
    HealthScore,
    Recipient,
    RecipientStatus,
    WeChatTemplate,
)
from dabai.outreach.services import segments
from dabai.outreach.services.consent import addressed, unsubscribe_token

logger = logging.getLogger(__name__)
BOT_USERNAME = "dabai-outreach"
# Where a campaign goes when a customer has several: the channels customers read on their phones first.
CHANNEL_ORDER = (Channel.WECHAT, Channel.SMS, Channel.EMAIL)
CHUNK = 5000
STRANDED_AFTER = timedelta(minutes=15)
SMS_OPT_OUT = "回复TD退订"
WECHAT_WINDOW = timedelta(hours=SERVICE_WINDOW_HOURS)


class CampaignError(ValueError):
    """A campaign that cannot be scheduled as it is (no message, nothing to send, already sent)."""


def outreach_bot() -> User:
    """The automated author of campaign messages (never counted as a person's first response)."""
    user, _created = User.objects.get_or_create(
        username=BOT_USERNAME,
        defaults={"role": Role.AGENT, "display_name": "大白关怀", "is_automated": True, "is_active": False},
    )
    return user


# ------------------------------------------------------------------------------------------------ segments


def segment_customers(segment: dict, now: datetime | None = None) -> list[int]:
    """The customer ids a segment names (every given criterion must hold), in id order."""
    now = now or timezone.now()
    rows = Customer.objects.filter(merged_into__isnull=True)
    if segment.get("tiers"):
        rows = rows.filter(tier__in=segment["tiers"])
    if segment.get("tags"):
        rows = rows.filter(tags__name__in=segment["tags"])
    if segment.get("identity_channels"):
        rows = rows.filter(identities__channel__in=segment["identity_channels"])
    if segment.get("intents"):
        since = now - timedelta(days=int(segment.get("intent_days") or 30))
        rows = rows.filter(
            pk__in=Insight.objects.filter(intent__in=segment["intents"], message__sent_at__gte=since).values(
                "message__conversation__customer_id"
            )
        )
    if segment.get("min_risk"):
        rows = rows.filter(
            pk__in=HealthScore.objects.filter(score__gte=int(segment["min_risk"])).values("customer_id")
        )
    if segment.get("customer_ids"):
        rows = rows.filter(pk__in=[int(c) for c in segment["customer_ids"]])
    if segment.get("care"):
        rows = rows.filter(pk__in=ContactPreference.objects.filter(care_opt_in=True).values("customer_id"))
    if segment.get("incident"):
        from dabai.outreach.services.incidents import affected_customers

        rows = rows.filter(pk__in=affected_customers(int(segment["incident"])))
    ids = list(rows.order_by("pk").values_list("pk", flat=True).distinct())
    # What customers wrote about (products, order numbers) is matched in memory: one query per rule.
    if segment.get("products"):
        days = int(segment.get("mention_days") or segments.DEFAULT_MENTION_DAYS)
        named = segments.customers_mentioning_products(segment["products"], days, now)
        ids = [c for c in ids if c in named]
    if segment.get("order_numbers"):
        ordered = segments.customers_with_orders(segment["order_numbers"], now)
        ids = [c for c in ids if c in ordered]
    return ids


def campaign_channels(campaign: Campaign) -> list[str]:
    return [c for c in CHANNEL_ORDER if campaign.text_for(c).strip()]


def _addresses(customer_ids: list[int], channels: list[str]) -> dict[int, str]:
    """Each customer's channel for this campaign: the first of ``channels`` they have an identity on."""
    have: dict[int, set[str]] = defaultdict(set)
    for customer, channel in ChannelIdentity.objects.filter(
        customer_id__in=customer_ids, channel__in=channels
    ).values_list("customer_id", "channel"):
        have[customer].add(channel)
    return {c: next(ch for ch in channels if ch in chans) for c, chans in have.items()}


def _capped(customer_ids: list[int], now: datetime) -> set[int]:
    since = now - timedelta(days=conf.cap_days())
    return set(
        Recipient.objects.filter(
            customer_id__in=customer_ids,
            status=RecipientStatus.SENT,
            sent_at__gte=since,
            campaign__kind__in=CAPPED_KINDS,
        )
        .values("customer_id")
        .annotate(n=Count("id"))
        .filter(n__gte=conf.cap())
        .values_list("customer_id", flat=True)
    )


def _preferences(customer_ids: list[int]) -> dict[int, tuple[bool, bool]]:
    """(unsubscribed, care opt-in) for customers with a preference row."""
    return {
        c: (unsub is not None, care)
        for c, unsub, care in ContactPreference.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "unsubscribed_at", "care_opt_in"
        )
    }


def refusal(campaign: Campaign, unsubscribed: bool, care_opt_in: bool, capped: bool) -> str:
    """Why this customer must not get this campaign ("" when they may)."""
    if campaign.kind in CAPPED_KINDS and unsubscribed:
        return "unsubscribed"
    if campaign.kind == CampaignKind.CARE and not care_opt_in:
        return "no_care_opt_in"
    if campaign.kind in CAPPED_KINDS and capped:
        return "frequency_cap"
    return ""


def queue_recipients(campaign: Campaign, now: datetime | None = None) -> int:
    """Resolve the segment and write one recipient row per customer (existing rows are kept as they are)."""
    now = now or timezone.now()
    channels = campaign_channels(campaign)
    customers = segment_customers(campaign.segment, now)
    created = 0
    for start in range(0, len(customers), CHUNK):
        part = customers[start : start + CHUNK]
        addresses = _addresses(part, channels)
        capped = _capped(part, now) if campaign.kind in CAPPED_KINDS else set()
        prefs = _preferences(part)
        rows = []
        for customer in part:
            unsubscribed, care = prefs.get(customer, (False, False))
            reason = refusal(campaign, unsubscribed, care, customer in capped)
            channel = addresses.get(customer, "")
            if not reason and not channel:
                reason = "no_address"
            rows.append(
                Recipient(
                    campaign=campaign,
                    customer_id=customer,
                    channel=channel,
                    status=RecipientStatus.SKIPPED if reason else RecipientStatus.PENDING,
                    skip_reason=reason,
                )
            )
        created += len(Recipient.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True))
    return created


# ------------------------------------------------------------------------------------------------ lifecycle


def add_wechat_template(
    *, name: str, template_id: str, fields: dict[str, str], url: str = "", for_incidents: bool = False
) -> WeChatTemplate:
    """A template message approved for the Official Account (admins also edit them in the admin)."""
    return WeChatTemplate.objects.create(
        name=name, template_id=template_id, fields=fields, url=url, for_incidents=for_incidents
    )


def create_campaign(*, actor: User | None, **fields) -> Campaign:
    campaign = Campaign.objects.create(created_by=actor, **fields)
    if actor is not None:
        record_audit(actor, "outreach.campaign_created", campaign, {"kind": campaign.kind})
    return campaign


def schedule(campaign: Campaign, actor: User | None, when: datetime | None = None) -> Campaign:
    """Schedule the campaign (now, or at ``when``); the worker resolves the segment at that time."""
    from dabai.outreach.tasks import start_campaign  # the tasks call these services

    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise CampaignError("only a draft or scheduled campaign can be scheduled")
    if not campaign_channels(campaign):
        raise CampaignError("write a message for at least one channel")
    when = when or campaign.scheduled_at or timezone.now()
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED, scheduled_at=when)
        campaign.status, campaign.scheduled_at = CampaignStatus.SCHEDULED, when
        if actor is not None:
            record_audit(actor, "outreach.campaign_scheduled", campaign, {"at": when.isoformat()})
        transaction.on_commit(lambda: start_campaign.using(run_after=when).enqueue(campaign.pk))
    return campaign


def start(campaign: Campaign, now: datetime | None = None) -> int:
    """Due: resolve the segment into recipients and start sending (once; a second call changes nothing)."""
    from dabai.outreach.tasks import send_campaign

    now = now or timezone.now()
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.SCHEDULED:
            return 0
        queued = queue_recipients(locked, now)
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, started_at=now)
        transaction.on_commit(lambda: send_campaign.enqueue(campaign.pk))
    campaign.status = CampaignStatus.SENDING
    return queued


def cancel(campaign: Campaign, actor: User) -> None:
    """Stop a campaign: whoever is still waiting is not sent anything."""
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).exclude(status=CampaignStatus.SENT).update(
            status=CampaignStatus.CANCELLED, finished_at=timezone.now()
        )
        Recipient.objects.filter(campaign=campaign, status=RecipientStatus.PENDING).update(
            status=RecipientStatus.SKIPPED, skip_reason="cancelled"
        )
        record_audit(actor, "outreach.campaign_cancelled", campaign)


# ------------------------------------------------------------------------------------------------ sending


def personalise(text: str, customer: Customer, form_of_address: str) -> str:
    """``{name}`` (or ``{称呼}``) becomes how we address the customer (王先生); ``{full_name}`` their name."""
    greeting = addressed(customer.display_name, form_of_address)
    return (
        text.replace("{name}", greeting)
        .replace("{称呼}", greeting)
        .replace("{full_name}", customer.display_name)
    )


def unsubscribe_link(customer_id: int) -> str:
    path = reverse("outreach:unsubscribe", args=[unsubscribe_token(customer_id)])
    return f"{conf.public_url()}{path}"


def compose(campaign: Campaign, channel: str, customer: Customer, form_of_address: str) -> str:
    """The message this customer gets: personalised, with the opt-out every marketing message must carry."""
    text = personalise(campaign.text_for(channel), customer, form_of_address).strip()
    if channel == Channel.EMAIL:
        text += f"\n\n—\n如不想再收到此类邮件，请点击退订：{unsubscribe_link(customer.pk)}"
    elif channel == Channel.SMS and campaign.kind in CAPPED_KINDS and SMS_OPT_OUT not in text:
        text += SMS_OPT_OUT
    return text


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
    return TemplateMessage(template_id=template.template_id, data=data, url=template.url)


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


def send_one(recipient_id: int, now: datetime | None = None) -> str:
    """Claim one waiting recipient and hand its message to the channel, in one transaction.

    Consent and the cap are checked again at this moment, so a 退订 that arrived after the segment was
    resolved is honoured. Returns the recipient's new status ("" when someone else had claimed it).
    """
    now = now or timezone.now()
    with transaction.atomic():
        recipient = (
            Recipient.objects.select_for_update(skip_locked=True)
            .filter(pk=recipient_id, status=RecipientStatus.PENDING)
            .select_related("campaign", "customer")
            .first()
        )
        if recipient is None:
            return ""
        campaign, customer = recipient.campaign, recipient.customer
        pref = ContactPreference.objects.filter(customer=customer).first()
        capped = campaign.kind in CAPPED_KINDS and customer.pk in _capped([customer.pk], now)
        reason = refusal(
            campaign,
            bool(pref and pref.unsubscribed_at),
            bool(pref and pref.care_opt_in),
            capped,
        )
        form = pref.form_of_address if pref else ""
        template = None
        if not reason and recipient.channel == Channel.WECHAT:
            reason, template = wechat_way(campaign, customer, form, now)
        if reason:
            recipient.status, recipient.skip_reason = RecipientStatus.SKIPPED, reason
            recipient.save(update_fields=["status", "skip_reason"])
            return recipient.status
        if template is not None:
            body = template_text(template)
            recipient.wechat_template = {
                "template_id": template.template_id,
                "data": template.data,
                "url": template.url,
            }
        else:
            body = compose(campaign, recipient.channel, customer, form)
        subject = campaign.email_subject if recipient.channel == Channel.EMAIL else campaign.name
        conversation = start_conversation(customer, recipient.channel, subject=subject or campaign.name)
        # The recipient names the message before its delivery task (after commit) asks for the template.
        message = post_reply(conversation, outreach_bot(), body)
        recipient.status, recipient.sent_at = RecipientStatus.SENT, now
        recipient.conversation, recipient.message = conversation, message
        recipient.save(update_fields=["status", "sent_at", "conversation", "message", "wechat_template"])
    return recipient.status


def send_batch(campaign: Campaign, now: datetime | None = None) -> dict[str, int]:
    """Hand at most each channel's per-minute rate of messages over; finished when nobody is waiting."""
    now = now or timezone.now()
    sent: dict[str, int] = defaultdict(int)
    if campaign.status != CampaignStatus.SENDING:
        return dict(sent)
    requeue_stranded(campaign, now)
    for channel in campaign_channels(campaign):
        waiting = list(
            Recipient.objects.filter(campaign=campaign, status=RecipientStatus.PENDING, channel=channel)
            .order_by("pk")
            .values_list("pk", flat=True)[: conf.rate_per_minute(channel)]
        )
        for pk in waiting:
            status = send_one(pk, now)
            if status:
                sent[f"{channel}:{status}"] += 1
    if not Recipient.objects.filter(campaign=campaign, status=RecipientStatus.PENDING).exists():
        Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(
            status=CampaignStatus.SENT, finished_at=timezone.now()
        )
    return dict(sent)


def requeue_stranded(campaign: Campaign, now: datetime) -> int:
    """Messages claimed but never tried (the worker died between the claim's commit and the delivery task):
    their delivery is queued again; ``deliver_reply`` skips what was delivered meanwhile."""
    stranded = list(
        Message.objects.filter(
            pk__in=Recipient.objects.filter(
                campaign=campaign, status=RecipientStatus.SENT, sent_at__lt=now - STRANDED_AFTER
            ).values("message_id"),
            delivery_status=DeliveryStatus.QUEUED,
        )
        .exclude(pk__in=Delivery.objects.values("message_id"))
        .values_list("pk", flat=True)[:1000]
    )
    for pk in stranded:
        deliver_reply.enqueue(pk)
    if stranded:
        logger.warning("campaign %s: %d stranded deliveries queued again", campaign.pk, len(stranded))
    return len(stranded)


def send_test(campaign: Campaign, customer: Customer, channel: str, actor: User) -> Message:
    """A test message to one customer (a colleague's own record, say); no recipient row, no cap."""
    pref = ContactPreference.objects.filter(customer=customer).first()
    body = "[测试] " + compose(campaign, channel, customer, pref.form_of_address if pref else "")
    with transaction.atomic():
        conversation = start_conversation(customer, channel, subject=f"[测试] {campaign.name}")
        message = post_reply(conversation, outreach_bot(), body)
        record_audit(
            actor, "outreach.campaign_test_send", campaign, {"customer": customer.pk, "channel": channel}
        )
    return message


def preview(campaign: Campaign, limit: int = 5) -> list[dict]:
    """The first few customers of the segment and exactly what each would get."""
    ids = segment_customers(campaign.segment)[:limit]
    channels = campaign_channels(campaign)
    addresses = _addresses(ids, channels)
    forms = dict(
        ContactPreference.objects.filter(customer_id__in=ids).values_list("customer_id", "form_of_address")
    )
    out = []
    for customer in Customer.objects.filter(pk__in=ids).order_by("pk"):
        channel = addresses.get(customer.pk, "")
        out.append(
            {
                "customer": customer,
                "channel": channel,
                "text": compose(campaign, channel, customer, forms.get(customer.pk, "")) if channel else "",
            }
        )
    return out


def results(campaign: Campaign) -> dict[str, int]:
    """Delivered, failed, replied, unsubscribed and later contacts, from a few grouped queries."""
    rows = Recipient.objects.filter(campaign=campaign)
    counts = dict(rows.values_list("status").annotate(n=Count("id")))
    delivery = dict(
        Message.objects.filter(pk__in=rows.values("message_id"))
        .values_list("delivery_status")
        .annotate(n=Count("id"))
    )
    sent_rows = rows.filter(status=RecipientStatus.SENT)
    replied = (
        Message.objects.filter(
            conversation_id__in=sent_rows.values("conversation_id"), direction=Direction.INBOUND
        )
        .values("conversation_id")
        .distinct()
        .count()
    )
    started = campaign.started_at or campaign.created_at
    unsubscribed = ContactPreference.objects.filter(
        customer_id__in=sent_rows.values("customer_id"), unsubscribed_at__gte=started
    ).count()
    later = (
        Conversation.objects.filter(
            customer_id__in=sent_rows.values("customer_id"),
            created_at__gt=started,
            created_at__lte=started + timedelta(days=30),
        )
        .exclude(pk__in=sent_rows.values("conversation_id"))
        .filter(last_inbound_at__isnull=False)
        .values("customer_id")
        .distinct()
        .count()
    )
    return {
        "recipients": sum(counts.values()),
        "waiting": counts.get(RecipientStatus.PENDING, 0),
        "handed": counts.get(RecipientStatus.SENT, 0),
        "skipped": counts.get(RecipientStatus.SKIPPED, 0),
        "delivered": delivery.get(DeliveryStatus.SENT, 0),
        "queued": delivery.get(DeliveryStatus.QUEUED, 0),
        "failed": delivery.get(DeliveryStatus.FAILED, 0),
        "replied": replied,
        "unsubscribed": unsubscribed,
        "later_contacts": later,
    }


def skip_reasons(campaign: Campaign) -> dict[str, int]:
    """How many were not sent anything, by readable reason."""
    return {
        str(SKIP_REASONS.get(reason, reason)): n
        for reason, n in Recipient.objects.filter(campaign=campaign, status=RecipientStatus.SKIPPED)
        .values_list("skip_reason")
        .annotate(n=Count("id"))
    }


def parse_customer_csv(data: bytes) -> tuple[list[int], list[str]]:
    """Customer ids from a CSV (a ``customer_id`` column, or phone/email/handle in ``channel,handle``
    columns); returns (ids, errors with line numbers). Unknown rows are errors, never silently dropped."""
    import csv
    import io

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], ["line 1: the file is not UTF-8 text"]
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.strip() for f in (reader.fieldnames or [])}
    if "customer_id" not in fields and not {"channel", "handle"} <= fields:
        return [], ["line 1: expected a customer_id column, or channel and handle columns"]
    ids: list[int] = []
    errors: list[str] = []
    lookups: list[tuple[int, str, str]] = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if row.get("customer_id"):
            if row["customer_id"].isdigit():
                ids.append(int(row["customer_id"]))
            else:
                errors.append(f"line {line}: customer_id {row['customer_id']!r} is not a number")
        elif row.get("channel") and row.get("handle"):
            lookups.append((line, row["channel"], row["handle"]))
        else:
            errors.append(f"line {line}: empty row")
    known = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
    errors += [f"customer {c} does not exist" for c in ids if c not in known]
    ids = [c for c in ids if c in known]
    if lookups:
        found = {
            (ch, ext): c
            for ch, ext, c in ChannelIdentity.objects.filter(
                external_id__in=[h for _, _, h in lookups]
            ).values_list("channel", "external_id", "customer_id")
        }
        for line, channel, handle in lookups:
            if (channel, handle) in found:
                ids.append(found[(channel, handle)])
            else:
                errors.append(f"line {line}: no customer with {channel} {handle}")
    return list(dict.fromkeys(ids)), errors


def due_campaigns(now: datetime) -> Iterable[Campaign]:
    return Campaign.objects.filter(
        Q(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now) | Q(status=CampaignStatus.SENDING)
    )
