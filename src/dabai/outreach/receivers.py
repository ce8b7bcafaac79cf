"""Outreach listens to the intake (退订 / TD stops marketing everywhere; outage messages are answered) and
tells the apps below about ongoing incidents (drafts, the bot, the portal) and WeChat template messages."""

from django.dispatch import receiver

from dabai.channels.wechat import templates
from dabai.conversations.signals import messages_received
from dabai.core.signals import contained, worker_started
from dabai.knowledge import instant
from dabai.outreach.services import consent, incidents, wechat
from dabai.portal import notices as portal_notices
from dabai.replies import notices

# The drafts and the bot know about ongoing incidents through the extension points of the apps below.
notices.register("outreach.incidents", incidents.draft_notices)
instant.register("outreach.incidents", incidents.bot_answer)
portal_notices.register("outreach.incidents", incidents.portal_notices)
# Campaign and incident messages to WeChat followers outside the 48-hour window go out as templates.
templates.register("outreach.campaigns", wechat.wechat_template_for)


@receiver(messages_received, dispatch_uid="outreach.unsubscribe")
@contained("outreach", "an unsubscribe request was not recorded")
def honour_unsubscribe(sender, arrivals, **kwargs) -> None:
    """A customer who answers 退订 / TD / STOP on any channel hears no more marketing on any channel."""
    by_channel: dict[str, list[int]] = {}
    for arrival in arrivals:
        if consent.is_unsubscribe_request(arrival.message.body):
            by_channel.setdefault(arrival.message.channel, []).append(arrival.conversation.customer_id)
    for channel, customers in by_channel.items():
        consent.unsubscribe(customers, f"{channel}:reply")


@receiver(messages_received, dispatch_uid="outreach.incidents")
@contained("outreach", "an incident answer was not sent")
def answer_incident(sender, arrivals, **kwargs) -> None:
    """Customers writing about a declared outage get the incident's answer at once, and their conversations
    are grouped under it."""
    messages = [a.message for a in arrivals if not consent.is_unsubscribe_request(a.message.body)]
    pairs = incidents.match_arrivals(messages)
    if not pairs:
        return
    matched = {c.pk for _i, c in pairs}
    by_bot = {
        m.conversation_id for m in messages if m.conversation_id in matched and incidents.bot_will_answer(m)
    }
    incidents.link([(i, c) for i, c in pairs if c.pk in by_bot])  # the bot answers them (bot_answer)
    incidents.link_and_answer([(i, c) for i, c in pairs if c.pk not in by_bot])


@receiver(worker_started, dispatch_uid="outreach.chains")
def start_chains(sender, **kwargs) -> None:
    from dabai.outreach.tasks import start_periodic

    start_periodic()
