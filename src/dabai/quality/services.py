"""State changes of quality: outcomes computed from the facts, satisfaction surveys sent and answered.

An outcome is never edited by hand: ``recompute_outcomes`` derives every field from what is stored (messages
and the filter's insights, the audit trail of status changes and assignments, routing decisions, the survey),
so recomputing after any change of those facts, or all of them after a rule change, gives the same row.
It works set-wise: a batch of conversations costs a fixed number of queries.
"""

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dabai.accounts.models import AuditEntry, Role, User
from dabai.channels.services import is_subscribed
from dabai.conversations.models import Conversation, Direction, Message, Status
from dabai.conversations.services import post_reply, receive_feedback
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity
from dabai.quality import conf
from dabai.quality.models import Journey, Outcome, Survey, SurveyStatus
from dabai.routing.models import RoutingDecision
from dabai.routing.services import SlaRules

logger = logging.getLogger(__name__)

SETTLED = (Status.RESOLVED, Status.CLOSED)
SENTIMENT_RANK = {"negative": 0, "neutral": 1, "positive": 2}
CHUNK = 500
OUTCOME_FIELDS = [
    "customer",
    "channel",
    "team",
    "agent",
    "intent",
    "first_resolved_at",
    "resolved_at",
    "window_ends_at",
    "first_contact_resolved",
    "reopened",
    "repeat_contacts",
    "repeat_channels",
    "first_response_seconds",
    "resolution_seconds",
    "agents_touched",
    "teams_touched",
    "handoffs",
    "bot_contained",
    "sentiment_first",
    "sentiment_last",
    "journey",
    "csat",
    "effort",
    "computed_at",
]
CONVERSATION_TYPE = Conversation._meta.label_lower


# ------------------------------------------------------------------------------------------------ outcomes


@dataclass(frozen=True, slots=True)
class _Reading:
    """The filter's reading of a message, as far as an outcome needs it."""

    intent: str
    sentiment: str


@dataclass(frozen=True, slots=True)
class _Said:
    """One message as far as an outcome needs it: read as plain tuples, since building a million model
    instances (with their author and insight) was most of a full recomputation's time."""

    pk: int
    conversation_id: int
    direction: str
    sent_at: datetime
    author_id: int | None
    by_automation: bool
    insight: _Reading | None


@dataclass
class _Facts:
    """What one conversation's outcome is derived from, gathered for a whole batch at once."""

    messages: list[_Said] = field(default_factory=list)
    reopened_by_status: bool = False
    resolved_times: list[datetime] = field(default_factory=list)
    handlers: list[tuple[datetime, int]] = field(default_factory=list)  # (when, agent id)
    teams: list[int] = field(default_factory=list)
    survey: Survey | None = None


def recompute_outcomes(conversation_ids: Iterable[int]) -> list[Outcome]:
    """Compute (or recompute) the outcome of each conversation that is or was resolved; others are skipped."""
    ids = sorted(set(conversation_ids))
    outcomes: list[Outcome] = []
    for start in range(0, len(ids), CHUNK):
        outcomes.extend(_recompute_chunk(ids[start : start + CHUNK]))
    return outcomes


def _recompute_chunk(ids: list[int]) -> list[Outcome]:
    existing = Outcome.objects.in_bulk(ids, field_name="conversation_id")
    conversations = [
        c
        for c in Conversation.objects.filter(pk__in=ids, customer__is_probe=False).select_related("customer")
        if c.status in SETTLED or c.pk in existing
    ]
    if not conversations:
        return []
    facts = _gather(conversations)
    rules = SlaRules({c.channel for c in conversations})
    window = timedelta(days=conf.fcr_window_days())
    now = timezone.now()
    outcomes = []
    for conversation in conversations:
        earlier = existing.get(conversation.pk)
        first_resolved = _first_resolved(conversation, earlier, facts[conversation.pk])
        if first_resolved is None:
            continue
        outcome = earlier or Outcome(conversation=conversation)
        _derive(outcome, conversation, facts[conversation.pk], first_resolved, rules)
        outcome.window_ends_at = first_resolved + window
        outcome.computed_at = now
        outcomes.append(outcome)
    _count_repeat_contacts(outcomes)
    for outcome in outcomes:
        outcome.first_contact_resolved = not outcome.reopened and outcome.repeat_contacts == 0
    # One upsert for the chunk (``bulk_update``'s CASE per field and row cost seconds per 500 outcomes).
    Outcome.objects.bulk_create(
        outcomes, update_conflicts=True, unique_fields=["conversation"], update_fields=OUTCOME_FIELDS
    )
    return outcomes


def _gather(conversations: list[Conversation]) -> dict[int, _Facts]:
    ids = [c.pk for c in conversations]
    facts = {pk: _Facts() for pk in ids}
    surveys = {s.conversation_id: s for s in Survey.objects.filter(conversation_id__in=ids)}
    ours = {s.message_id for s in surveys.values()} | {s.comment_message_id for s in surveys.values()}
    for pk, survey in surveys.items():
        facts[pk].survey = survey
    rows = (
        Message.objects.filter(conversation_id__in=ids)
        .exclude(direction=Direction.NOTE)
        .order_by("sent_at", "id")
        .values_list(
            "pk",
            "conversation_id",
            "direction",
            "sent_at",
            "author_id",
            "author__is_automated",
            "insight__id",
            "insight__intent",
            "insight__sentiment",
        )
    )
    for pk, conversation_id, direction, sent_at, author_id, automated, insight_id, intent, mood in rows:
        if pk not in ours:
            reading = _Reading(intent or "", mood or "") if insight_id is not None else None
            said = _Said(pk, conversation_id, direction, sent_at, author_id, bool(automated), reading)
            facts[conversation_id].messages.append(said)
    trail = AuditEntry.objects.filter(
        object_type=CONVERSATION_TYPE,
        object_id__in=[str(pk) for pk in ids],
        action__in=["conversation.status", "conversation.assign"],
    ).order_by("at", "id")
    for entry in trail:
        fact, detail = facts[int(entry.object_id)], entry.detail or {}
        if entry.action == "conversation.status":
            if detail.get("to") in SETTLED:
                fact.resolved_times.append(entry.at)
            elif detail.get("from") in SETTLED:
                fact.reopened_by_status = True
        else:
            if detail.get("to"):
                fact.handlers.append((entry.at, int(detail["to"])))
            if detail.get("team"):
                fact.teams.append(int(detail["team"]))
    decisions = RoutingDecision.objects.filter(conversation_id__in=ids, agent__isnull=False)
    for decision in decisions.order_by("at", "id"):
        facts[decision.conversation_id].handlers.append((decision.at, decision.agent_id))
    return facts


def _first_resolved(conversation: Conversation, earlier: Outcome | None, fact: _Facts) -> datetime | None:
    if earlier is not None:
        return earlier.first_resolved_at
    times = [*fact.resolved_times, *([conversation.resolved_at] if conversation.resolved_at else [])]
    return min(times, default=None)


def _derive(
    outcome: Outcome, conversation: Conversation, fact: _Facts, first_resolved: datetime, rules: SlaRules
) -> None:
    inbound = [m for m in fact.messages if m.direction == Direction.INBOUND]
    outbound = [m for m in fact.messages if m.direction == Direction.OUTBOUND]
    human_replies = [m for m in outbound if m.author_id is not None and not m.by_automation]
    bot_replies = [m for m in outbound if m.author_id is not None and m.by_automation]
    insights = [m.insight for m in inbound if m.insight is not None]

    outcome.customer_id = conversation.customer_id
    outcome.channel = conversation.channel
    outcome.team_id = conversation.team_id
    outcome.first_resolved_at = first_resolved
    outcome.resolved_at = conversation.resolved_at if conversation.status in SETTLED else None
    outcome.intent = _topic(insights)
    outcome.reopened = fact.reopened_by_status or any(m.sent_at > first_resolved for m in inbound)

    handlers = [agent for _, agent in sorted(fact.handlers)]
    handlers += [m.author_id for m in human_replies]
    if conversation.assignee_id:
        handlers.append(conversation.assignee_id)
    automated = {m.author_id for m in bot_replies}
    agents = [a for a in dict.fromkeys(handlers) if a not in automated]
    teams = list(dict.fromkeys([*fact.teams, *([conversation.team_id] if conversation.team_id else [])]))
    outcome.agents_touched, outcome.teams_touched = agents, teams
    outcome.handoffs = max(len(agents) - 1, 0)
    outcome.agent_id = (conversation.assignee_id if conversation.assignee_id not in automated else None) or (
        agents[-1] if agents else None
    )
    outcome.bot_contained = bool(bot_replies) and not agents and not outcome.reopened

    started = inbound[0].sent_at if inbound else conversation.created_at
    policy = rules.policy(conversation)
    calendar = rules.calendars.get(conversation.team_id, policy.always_open)
    first_human = conversation.first_response_at or (human_replies[0].sent_at if human_replies else None)
    outcome.first_response_seconds = max(calendar.between(started, first_human), 0.0) if first_human else None
    outcome.resolution_seconds = (
        max(calendar.between(started, outcome.resolved_at), 0.0) if outcome.resolved_at else None
    )

    outcome.sentiment_first = insights[0].sentiment if insights else ""
    outcome.sentiment_last = insights[-1].sentiment if insights else ""
    outcome.journey = _journey(outcome.sentiment_first, outcome.sentiment_last)
    answered = fact.survey if fact.survey and fact.survey.status == SurveyStatus.ANSWERED else None
    outcome.csat = answered.rating if answered else None
    outcome.effort = answered.effort if answered else None


def _topic(insights: list) -> str:
    """The conversation's topic: the filter's most frequent intent over the customer's messages."""
    counts = Counter(i.intent for i in insights if i.intent)
    return counts.most_common(1)[0][0] if counts else ""


def _journey(first: str, last: str) -> str:
    if first not in SENTIMENT_RANK or last not in SENTIMENT_RANK:
        return Journey.UNKNOWN
    change = SENTIMENT_RANK[last] - SENTIMENT_RANK[first]
    return Journey.IMPROVED if change > 0 else Journey.WORSENED if change < 0 else Journey.UNCHANGED


def _count_repeat_contacts(outcomes: list[Outcome]) -> None:
    """Repeat contacts: the same customer writing or calling again, in another conversation on any channel,
    about the same topic, after the first resolution and within the window. One query for the batch."""
    for outcome in outcomes:
        outcome.repeat_contacts, outcome.repeat_channels = 0, []
    topical = [o for o in outcomes if o.intent]
    if not topical:
        return
    comments = Survey.objects.filter(comment_message__isnull=False).values("comment_message_id")
    rows = (
        Message.objects.filter(
            direction=Direction.INBOUND,
            conversation__customer_id__in={o.customer_id for o in topical},
            sent_at__gt=min(o.first_resolved_at for o in topical),
            sent_at__lte=max(o.window_ends_at for o in topical),
            insight__intent__in={o.intent for o in topical},
        )
        .exclude(pk__in=comments)
        .values_list(
            "conversation_id",
            "conversation__customer_id",
            "conversation__channel",
            "sent_at",
            "insight__intent",
        )
    )
    by_customer: dict[int, list[tuple[int, str, datetime, str]]] = {}
    for conversation_id, customer_id, channel, sent_at, intent in rows:
        by_customer.setdefault(customer_id, []).append((conversation_id, channel, sent_at, intent))
    for outcome in topical:
        repeats: dict[int, str] = {}
        for conversation_id, channel, sent_at, intent in by_customer.get(outcome.customer_id, []):
            if (
                conversation_id != outcome.conversation_id
                and intent == outcome.intent
                and outcome.first_resolved_at < sent_at <= outcome.window_ends_at
            ):
                repeats.setdefault(conversation_id, channel)
        outcome.repeat_contacts = len(repeats)
        outcome.repeat_channels = sorted(set(repeats.values()))


def outcomes_touched_by(contacts: Iterable[tuple[int, datetime]]) -> set[int]:
    """Conversations whose outcome a customer's message at a time may change: their repeat-contact window
    covers it. ``contacts`` are (customer id, sent at) pairs; one query for all of them."""
    contacts = list(contacts)
    if not contacts:
        return set()
    times = [at for _, at in contacts]
    rows = Outcome.objects.filter(
        customer_id__in={c for c, _ in contacts},
        first_resolved_at__lt=max(times),
        window_ends_at__gte=min(times),
    ).values_list("conversation_id", "customer_id", "first_resolved_at", "window_ends_at")
    wanted = {}
    for customer_id, at in contacts:
        wanted.setdefault(customer_id, []).append(at)
    return {
        conversation_id
        for conversation_id, customer_id, start, end in rows
        if any(start < at <= end for at in wanted.get(customer_id, []))
    }


# ------------------------------------------------------------------------------------------------- surveys

SURVEY_SALT = "dabai.quality.survey"
SURVEY_USERNAME = "dabai-survey"


class SurveyClosed(ValueError):
    """The survey was answered already, or its link expired."""


def survey_user() -> User:
    """The automated account surveys are sent as: never a first response, never given work."""
    user, created = User.objects.get_or_create(
        username=SURVEY_USERNAME,
        defaults={"role": Role.AGENT, "display_name": "满意度回访", "is_automated": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def survey_token(survey: Survey) -> str:
    return signing.dumps(survey.pk, salt=SURVEY_SALT)


def survey_for_token(token: str) -> Survey | None:
    """The survey a link points at, or None for a forged or mangled token."""
    try:
        pk = signing.loads(token, salt=SURVEY_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Survey.objects.select_related("conversation").filter(pk=pk).first()


def survey_link(survey: Survey) -> str:
    return conf.public_url() + reverse("quality:survey", kwargs={"token": survey_token(survey)})


def survey_blocker(conversation: Conversation, now: datetime | None = None) -> str:
    """Why no survey may go out for this conversation now ("" when one may)."""
    now = now or timezone.now()
    if conversation.status not in SETTLED:
        return "not resolved"
    if conversation.is_public:
        return "public post"
    if conversation.customer.is_probe:
        return "channel probe"
    if Survey.objects.filter(conversation=conversation).exists():
        return "already surveyed"
    since = now - timedelta(days=conf.survey_cooldown_days())
    if Survey.objects.filter(customer_id=conversation.customer_id, sent_at__gte=since).exists():
        return "surveyed recently"
    if not _subscribed(conversation):
        return "unsubscribed"
    return ""


def _subscribed(conversation: Conversation) -> bool:
    """Never to someone who unsubscribed: any of the customer's handles on the channel the survey travels
    (a hotline caller is answered by SMS, so SMS too) opted out means no survey."""
    channels = {conversation.channel}
    if conversation.channel in {Channel.PHONE, Channel.SMS}:
        channels |= {Channel.PHONE, Channel.SMS}
    handles = ChannelIdentity.objects.filter(customer_id=conversation.customer_id, channel__in=channels)
    for handle in handles.values_list("external_id", flat=True):
        if any(not is_subscribed(channel, handle) for channel in channels):
            return False
    return True


def send_survey(conversation: Conversation) -> Survey | None:
    """Send the one short survey after a resolution, as a message on the conversation's own channel.

    The message goes out through the ordinary reply path (``post_reply``: the channel's adapter delivers it
    after commit, with retries), written by the automated survey account so it is no agent's response.
    Returns None, logging why, when no survey may go out (see ``survey_blocker``).
    """
    now = timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        blocker = survey_blocker(conversation, now)
        if blocker:
            logger.info("no survey for conversation #%s: %s", conversation.pk, blocker)
            return None
        survey = Survey.objects.create(
            conversation=conversation,
            customer_id=conversation.customer_id,
            agent_id=conversation.assignee_id,
            channel=conversation.channel,
            sent_at=now,
            expires_at=now + timedelta(days=conf.survey_valid_days()),
        )
        with translation.override("zh-hans"):
            body = _(
                "Your request has been handled. How did we do? Rate us in ten seconds (the link works once): "
                "%(link)s"
            ) % {"link": survey_link(survey)}
        survey.message = post_reply(conversation, survey_user(), body)
        survey.save(update_fields=["message"])
    return survey


def answer_survey(survey: Survey, *, rating: int, effort: int | None = None, comment: str = "") -> Survey:
    """Record the customer's answer, once: stars, optional ease and comment. The comment is the customer's
    voice: it is stored as their message in the conversation (the filter reads it), not reopening it."""
    if not 1 <= rating <= 5 or (effort is not None and not 1 <= effort <= 5):
        raise ValueError("ratings go from 1 to 5")
    now = timezone.now()
    with transaction.atomic():
        survey = Survey.objects.select_for_update().select_related("conversation").get(pk=survey.pk)
        if survey.status == SurveyStatus.ANSWERED or survey.expires_at < now:
            raise SurveyClosed
        survey.rating, survey.effort, survey.comment = rating, effort, comment.strip()[:2000]
        survey.status, survey.answered_at = SurveyStatus.ANSWERED, now
        if survey.comment:
            survey.comment_message = receive_feedback(
                survey.conversation, survey.comment, key=f"survey-{survey.pk}", sent_at=now
            )
        survey.save()
        recompute_outcomes([survey.conversation_id])
    return survey
