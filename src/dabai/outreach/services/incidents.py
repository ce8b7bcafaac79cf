"""Incident broadcast: affected customers who write are answered at once; one update reaches every thread.

While an incident is ongoing the apps below know it through their extension points: the desk's draft starts
from its message (``replies.notices``), the bot answers with it before offering a person
(``knowledge.instant``) and the portal shows it to customers in the area (``portal.notices``).

Who is affected: customers tagged with one of the incident's areas (the service is a tag too when the
centre tags customers by service), and anyone whose message names the service or a keyword.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.conversations.models import Conversation, Direction, Message
from dabai.conversations.services import post_reply
from dabai.core.memo import per_batch
from dabai.customers.models import Customer
from dabai.knowledge.instant import InstantAnswer
from dabai.outreach.models import Campaign, CampaignKind, Incident, IncidentLink, WeChatTemplate
from dabai.portal.notices import CustomerNotice
from dabai.replies.notices import Notice

AUTO_PREFIX = "【故障通知】"


def split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", ",").replace("、", ",").split(",") if p.strip()]


def declare(
    *, title: str, service: str, areas: str, keywords: str, message: str, started_at: datetime, actor: User
) -> Incident:
    incident = Incident.objects.create(
        title=title,
        service=service,
        areas=areas,
        keywords=keywords,
        message=message,
        started_at=started_at,
        declared_by=actor,
    )
    record_audit(actor, "outreach.incident_declared", incident, {"service": service, "areas": areas})
    return incident


def resolve(incident: Incident, actor: User, update: str = "") -> int:
    """Mark the incident over; with ``update`` every grouped conversation hears it. Returns threads told."""
    told = post_update(incident, update, actor) if update.strip() else 0
    Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now())
    record_audit(actor, "outreach.incident_resolved", incident)
    return told


@per_batch()
def active_incidents() -> list[Incident]:
    """The ongoing incidents (read once per batch job: the bot asks for every message it answers)."""
    return list(Incident.objects.filter(resolved_at__isnull=True, started_at__lte=timezone.now()))


def affected_customers(incident_id: int) -> QuerySet:
    """Customer ids affected: tagged with an area (or the service), or in a conversation grouped under it."""
    incident = Incident.objects.get(pk=incident_id)
    tags = split(incident.areas)
    linked = IncidentLink.objects.filter(incident=incident).values("conversation__customer_id")
    query = Q(pk__in=linked)
    if tags:
        query |= Q(tags__name__in=tags)
    return Customer.objects.filter(query).values("pk")


def concerns(incident: Incident, text: str, customer_tags: set[str]) -> bool:
    """About the incident: the message names the service or a keyword, and the customer is in an affected
    area (tagged with it or naming it) — or the incident has no areas (it is everywhere)."""
    words = [w for w in [incident.service, *split(incident.keywords)] if w]
    if not any(w in text for w in words):
        return False
    areas = split(incident.areas)
    return not areas or bool(customer_tags & set(areas)) or any(a in text for a in areas)


def link_and_answer(pairs: list[tuple[Incident, Conversation]]) -> int:
    """Group each conversation under its incident and answer it once with the incident's message."""
    bot = None
    answered = 0
    for incident, conversation in pairs:
        with transaction.atomic():
            link, _created = IncidentLink.objects.get_or_create(incident=incident, conversation=conversation)
            if link.answered:
                continue
            if bot is None:
                from dabai.outreach.services.campaigns import outreach_bot

                bot = outreach_bot()
            post_reply(conversation, bot, f"{AUTO_PREFIX}{incident.message}")
            IncidentLink.objects.filter(pk=link.pk).update(answered=True)
            answered += 1
    return answered


def match_arrivals(messages: list[Message]) -> list[tuple[Incident, Conversation]]:
    """The (incident, conversation) pairs among newly arrived customer messages, set-wise."""
    incidents = active_incidents()
    if not incidents or not messages:
        return []
    customer_ids = {m.conversation.customer_id for m in messages}
    tags: dict[int, set[str]] = {}
    for customer, tag in Customer.tags.through.objects.filter(customer_id__in=customer_ids).values_list(
        "customer_id", "customertag__name"
    ):
        tags.setdefault(customer, set()).add(tag)
    pairs, seen = [], set()
    for message in messages:
        conversation = message.conversation
        for incident in incidents:
            key = (incident.pk, conversation.pk)
            if key in seen:
                continue
            if concerns(incident, message.body, tags.get(conversation.customer_id, set())):
                pairs.append((incident, conversation))
                seen.add(key)
    return pairs


def link(pairs: list[tuple[Incident, Conversation]]) -> None:
    """Group conversations under their incidents without answering them (the bot will), set-wise."""
    IncidentLink.objects.bulk_create(
        [IncidentLink(incident=i, conversation=c) for i, c in pairs], ignore_conflicts=True
    )


def bot_will_answer(message: Message) -> bool:
    """The knowledge bot will read this message (its channel, still its conversation, fresh), so the
    incident's answer comes from the bot, followed by the offer of a person, rather than from outreach."""
    from dabai.knowledge.bot import FRESH_FOR, bot_user, is_active_in, policy

    current = policy()
    conversation = message.conversation
    return (
        current.enabled
        and conversation.channel in current.channel_list()
        and message.sent_at >= timezone.now() - FRESH_FOR
        and is_active_in(conversation, bot_user(), current)
    )


def bot_answer(message: Message) -> InstantAnswer | None:
    """The bot's instant answer to a customer writing about an ongoing incident (``knowledge.instant``):
    the incident's message, then how to reach a person. The conversation is grouped and counted answered."""
    pairs = match_arrivals([message])
    if not pairs:
        return None
    with transaction.atomic():
        link(pairs)
        IncidentLink.objects.filter(
            conversation=message.conversation, incident__in=[i for i, _c in pairs]
        ).update(answered=True)
    incident = pairs[0][0]
    offer = _('If this does not answer your question, reply "human" to talk to a person.')
    return InstantAnswer(text=f"{AUTO_PREFIX}{incident.message}\n{offer}", topic=incident.title)


def incidents_about(conversation: Conversation) -> list[Incident]:
    """Ongoing incidents this conversation is about: grouped under them, or its latest customer message
    concerns one (a conversation that arrived before the incident was declared)."""
    now = timezone.now()
    linked = list(
        Incident.objects.filter(
            links__conversation=conversation, resolved_at__isnull=True, started_at__lte=now
        ).distinct()
    )
    if linked:
        return linked
    ongoing = active_incidents()
    if not ongoing:
        return []
    latest = (
        conversation.messages.filter(direction=Direction.INBOUND)
        .order_by("-sent_at", "-id")
        .only("body")
        .first()
    )
    if latest is None:
        return []
    tags = set(conversation.customer.tags.values_list("name", flat=True))
    return [i for i in ongoing if concerns(i, latest.body, tags)]


def draft_notices(conversation: Conversation) -> list[Notice]:
    """What the desk's draft starts from (``replies.notices``): each ongoing incident's message, with a
    banner linking the agent to the incident."""
    return [
        Notice(
            key=f"incident:{incident.pk}",
            text=incident.message,
            banner=_("This conversation is about an ongoing incident: %(title)s") % {"title": incident.title},
            url=reverse("outreach:incident", args=[incident.pk]),
        )
        for incident in incidents_about(conversation)
    ]


def portal_notices(customer: Customer) -> list[CustomerNotice]:
    """What a signed-in customer reads on the portal (``portal.notices``): each ongoing incident in their
    area (tagged with one of its areas, or an incident without areas), its status and expected recovery."""
    ongoing = active_incidents()
    if not ongoing:
        return []
    tags = set(customer.tags.values_list("name", flat=True))
    return [
        CustomerNotice(key=f"incident:{i.pk}", title=i.title, text=i.message)
        for i in ongoing
        if not split(i.areas) or tags & set(split(i.areas))
    ]


def post_update(incident: Incident, text: str, actor: User) -> int:
    """One update to every conversation grouped under the incident (those still open)."""
    links = IncidentLink.objects.filter(incident=incident).select_related("conversation")
    told = 0
    for link in links:
        post_reply(link.conversation, actor, f"{AUTO_PREFIX}{text}")
        told += 1
    record_audit(actor, "outreach.incident_update", incident, {"conversations": told})
    return told


def notify_affected(incident: Incident, actor: User) -> Campaign:
    """A campaign of kind "incident" (exempt from marketing caps, once per customer) to everyone affected."""
    from dabai.outreach.services.campaigns import create_campaign, schedule

    existing = Campaign.objects.filter(incident=incident, kind=CampaignKind.INCIDENT).first()
    if existing is not None:
        return existing
    text = f"{AUTO_PREFIX}{incident.message}"
    campaign = create_campaign(
        wechat_template=WeChatTemplate.objects.filter(for_incidents=True).first(),
        actor=actor,
        name=f"{incident.title}",
        kind=CampaignKind.INCIDENT,
        segment={"incident": incident.pk},
        sms_text=text,
        wechat_text=text,
        email_subject=incident.title,
        email_text=text,
        incident=incident,
    )
    return schedule(campaign, actor)
