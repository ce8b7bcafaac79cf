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
from dabai.channels.tasks import deliver_reply
from dabai.conversations.models import Conversation, DeliveryStatus, Direction, Message
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
    Recipient,
    RecipientStatus,
)
from dabai.outreach.services.consent import personalise, unsubscribe_token
from dabai.outreach.services.segments import segment_customers
from dabai.outreach.services.wechat import template_text, wechat_way

logger = logging.getLogger(__name__)
BOT_USERNAME = "dabai-outreach"
# Where a campaign goes when a customer has several: the channels customers read on their phones first.
CHANNEL_ORDER = (Channel.WECHAT, Channel.SMS, Channel.EMAIL)
CHUNK = 5000
STRANDED_AFTER = timedelta(minutes=15)
SMS_OPT_OUT = "回复TD退订"


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


def due_campaigns(now: datetime) -> Iterable[Campaign]:
    return Campaign.objects.filter(
        Q(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now) | Q(status=CampaignStatus.SENDING)
    )
