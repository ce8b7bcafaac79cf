"""Bursts of arrivals and insights are handled set-wise: the rows one call per item would write, in a fixed
number of queries however large the burst, and one bad item never blocks (or rolls back) the others."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dabai.conversations import signals
from dabai.conversations.models import Conversation, Insight, Message, Priority, Status
from dabai.core.choices import Channel
from dabai.customers.models import Tier
from dabai.routing import receivers, services
from dabai.routing.models import (
    ClockKind,
    ClockState,
    ComplaintCase,
    ConversationSla,
    RoutingDecision,
    SlaClock,
    SlaPolicy,
)
from dabai.testing import ConversationFactory, CustomerFactory, MessageFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
REGULATOR = {"why": {"escalation": [{"category": "esc_regulator", "cue": "12315"}]}}


def opened(channel=Channel.WECHAT, *, at=None, team=None, tier=Tier.REGULAR, customer=None, **kwargs):
    """A conversation its first message has just opened (no clocks yet): ``(conversation, message)``."""
    conversation = ConversationFactory(
        channel=channel, team=team, customer=customer or CustomerFactory(tier=tier), **kwargs
    )
    message = MessageFactory(conversation=conversation, **({"sent_at": at} if at else {}))
    return Conversation.objects.select_related("customer").get(pk=conversation.pk), message


def arrive(pairs) -> None:
    """What conversations sends after storing a burst: one ``messages_received`` for all of it."""
    with transaction.atomic():
        signals.messages_received.send(
            sender=Message, arrivals=[signals.Arrival(m, c, True) for c, m in pairs]
        )


def analysed(message, *, intent="billing", risk=False, analysis=None, urgency="normal") -> Insight:
    insight = Insight.objects.create(
        message=message,
        sentiment="neutral",
        intent=intent,
        urgency=urgency,
        escalation_risk=risk,
        analysis=analysis or {},
        model_version="t",
    )
    insight.message = message
    return insight


def read(insights) -> None:
    """What conversations sends after storing the filter's readings: one ``insights_stored`` for all."""
    with transaction.atomic():
        signals.insights_stored.send(sender=Insight, insights=insights)


def clocks_of(conversations) -> list[tuple]:
    return [
        (c.channel, k.kind, k.target_minutes, k.due_at, k.warn_at, k.policy_id, k.always_open, k.tier)
        for c in conversations
        for k in SlaClock.objects.filter(conversation=c).order_by("kind")
    ]


def slas_of(conversations) -> list[tuple]:
    rows = {s.conversation_id: s for s in ConversationSla.objects.filter(conversation__in=conversations)}
    return [
        (rows[c.pk].next_kind, rows[c.pk].next_due_at, rows[c.pk].warn_at, rows[c.pk].is_paused)
        for c in conversations
    ]


def burst_of_new_conversations() -> list[tuple[Conversation, Message]]:
    eve = datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI)  # the afternoon before the National Day holiday
    return [
        opened(Channel.WEIBO, at=eve, is_public=True),
        opened(Channel.WEIBO, at=eve),
        opened(Channel.EMAIL, at=eve),
        opened(Channel.SMS, at=eve),
        opened(Channel.CHAT, at=eve, tier=Tier.VIP),
        opened(Channel.WECHAT, at=eve),
        opened(Channel.PHONE, at=eve),
    ]


def test_a_burst_of_new_conversations_gets_the_clocks_one_at_a_time_would_give(hotline, sla_policy):
    sla_policy("VIP chat", Channel.CHAT, 1, 2, 60, tier=Tier.VIP)
    one_by_one, burst = burst_of_new_conversations(), burst_of_new_conversations()
    for conversation, message in one_by_one:
        receivers.on_message_received(message, conversation, True)
    arrive(burst)

    assert clocks_of([c for c, _ in burst]) == clocks_of([c for c, _ in one_by_one])
    assert slas_of([c for c, _ in burst]) == slas_of([c for c, _ in one_by_one])
    public_weibo = burst[0][0].sla_clocks.get(kind=ClockKind.FIRST_RESPONSE)
    assert public_weibo.due_at - public_weibo.started_at == timedelta(minutes=20)
    email = burst[2][0].sla_clocks.get(kind=ClockKind.FIRST_RESPONSE)
    after_the_holiday = datetime(
        2026, 10, 8, 10, 0, tzinfo=SHANGHAI
    )  # 4 business hours: 15–18 h, then 9–10 h
    assert email.due_at == after_the_holiday
    assert burst[4][0].sla_clocks.get(kind=ClockKind.RESOLUTION).target_minutes == 60  # the VIP policy
    assert burst[0][0].sla.next_kind == ClockKind.FIRST_RESPONSE
    assert burst[0][0].sla.next_due_at == public_weibo.due_at


def follow_up(conversation) -> signals.Arrival:
    return signals.Arrival(MessageFactory(conversation=conversation), conversation, False)


def test_follow_ups_in_a_burst_resume_waiting_clocks_and_start_next_response(agent):
    answered, waiting, newcomer = opened(Channel.WECHAT), opened(Channel.WECHAT), opened(Channel.CHAT)
    arrive([answered, waiting])
    answered, waiting = answered[0], waiting[0]
    services.stop_clocks(answered, [ClockKind.FIRST_RESPONSE], timezone.now())
    Conversation.objects.filter(pk=answered.pk).update(first_response_at=timezone.now())
    answered.refresh_from_db()
    services.pause_clocks(waiting, timezone.now())
    with transaction.atomic():
        signals.messages_received.send(
            sender=Message,
            arrivals=[
                follow_up(answered),
                follow_up(waiting),
                signals.Arrival(newcomer[1], newcomer[0], True),
                follow_up(newcomer[0]),  # the newcomer's second message in the same burst
            ],
        )

    assert (
        answered.sla_clocks.get(kind=ClockKind.NEXT_RESPONSE, state=ClockState.RUNNING).target_minutes == 15
    )
    assert not waiting.sla_clocks.filter(state=ClockState.PAUSED).exists()
    assert waiting.sla_clocks.filter(state=ClockState.RUNNING).count() == 2
    assert ConversationSla.objects.get(conversation=waiting).is_paused is False
    assert newcomer[0].sla_clocks.count() == 2


def test_a_burst_resumes_paused_clocks_as_resuming_each_conversation_would(hotline):
    """Email on business hours, paused before the National Day holiday: resumed one by one or in a burst
    (with other conversations' new clocks), the deadlines, warnings and inbox rows are the same."""
    SlaPolicy.objects.create(
        name="Email, warned early",
        channel=Channel.EMAIL,
        tier=Tier.REGULAR,
        first_response_minutes=240,
        next_response_minutes=480,
        resolution_minutes=1440,
        warn_before_minutes=30,
    )
    eve = datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI)
    paused_at = datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)
    back = datetime(2026, 10, 8, 9, 30, tzinfo=SHANGHAI)
    waiting = [opened(Channel.EMAIL, at=eve, team=hotline) for _ in range(2)]
    arrive(waiting)
    for conversation, _ in waiting:
        services.pause_clocks(conversation, paused_at)
    (alone, _), (in_burst, _) = waiting
    services.resume_clocks(alone, back)
    newcomer = opened(Channel.WECHAT, team=hotline)
    with transaction.atomic():
        services.start_clocks_for(
            [
                (in_burst, back, receivers.clocks_to_start(in_burst, False)),
                (newcomer[0], back, receivers.clocks_to_start(newcomer[0], True)),
            ],
            resuming={in_burst.pk},
            resumed_at=back,
        )

    def paused_ones(conversation) -> list[tuple]:
        return [
            (k.kind, k.state, k.due_at, k.warn_at, k.paused_at, k.remaining_seconds)
            for k in conversation.sla_clocks.exclude(kind=ClockKind.NEXT_RESPONSE).order_by("kind")
        ]

    assert paused_ones(in_burst) == paused_ones(alone)
    resolution = alone.sla_clocks.get(kind=ClockKind.RESOLUTION)
    assert resolution.warn_at == resolution.due_at - timedelta(minutes=30)  # the policy's warning, read along
    assert alone.sla_clocks.get(kind=ClockKind.FIRST_RESPONSE).due_at == datetime(
        2026, 10, 8, 12, 30, tzinfo=SHANGHAI
    )
    assert slas_of([in_burst]) == slas_of([alone])
    assert newcomer[0].sla_clocks.count() == 2


def queries(receive) -> int:
    """Statements one call runs. SQLite takes at most 999 parameters a statement, so Django splits a bulk
    insert there into chunks that grow with the batch: consecutive inserts into one table count once on
    SQLite (on PostgreSQL, where the insert is one COPY, every statement counts)."""
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        receive()
    count, last = 0, None
    for query in captured.captured_queries:
        sql = query["sql"]
        chunk = sql.split(" (", 1)[0] if connection.vendor == "sqlite" and sql.startswith("INSERT") else None
        count += chunk is None or chunk != last
        last = chunk
    return count


def test_clocks_for_a_burst_cost_the_same_queries_for_50_or_200_arrivals(hotline, caplog):
    def cost(n: int) -> int:
        """``n`` new conversations and ``n`` follow-ups to conversations opened before, one in five of them
        waiting on the customer (their paused clocks resume)."""
        earlier = [opened(Channel.WECHAT, team=hotline) for _ in range(n)]
        arrive(earlier)
        for conversation, _ in earlier[::5]:
            services.pause_clocks(conversation, timezone.now())
        pairs = [opened(Channel.WECHAT, team=hotline) for _ in range(n)]
        arrivals = [signals.Arrival(m, c, True) for c, m in pairs] + [follow_up(c) for c, _ in earlier]
        return queries(lambda: receivers.on_messages_received(sender=Message, arrivals=arrivals))

    small, large = cost(50), cost(200)
    assert large == small
    assert SlaClock.objects.count() == 2 * 500
    assert ConversationSla.objects.count() == 500
    assert not SlaClock.objects.filter(state=ClockState.PAUSED).exists()  # every waiting clock resumed
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # the batch path, no fallback


def staff(hotline, online, seat) -> None:
    seat(hotline, "junior", capacity=100)
    seat(hotline, "billing", skills=["billing"], capacity=100)
    seat(hotline, "expert", expert=True, capacity=100)
    seat(online, "online", capacity=100)


def burst_of_insights(hotline, online, n: int) -> list[Insight]:
    """``n`` analysed conversations: VIPs, skills, complaints, repeated contacts, other teams, closed ones."""
    regular = CustomerFactory()
    for _ in range(2):
        ConversationFactory(customer=regular, channel=Channel.PHONE)
    insights = []
    for i in range(n):
        kind = i % 10
        conversation, message = opened(
            Channel.EMAIL if kind == 6 else Channel.WECHAT,
            team=None if kind == 8 else online if kind == 7 else hotline,
            tier=Tier.VIP if kind == 1 else Tier.REGULAR,
            customer=regular if i == 3 else None,
            status=Status.RESOLVED if kind == 9 else Status.OPEN,
        )
        arrive([(conversation, message)])
        if kind == 6:
            Conversation.objects.filter(pk=conversation.pk).update(priority=Priority.URGENT)
        insights.append(
            analysed(
                message,
                intent="billing" if kind in {2, 5} else "logistics",
                risk=kind == 4,
                analysis=REGULATOR if kind == 5 else None,
                urgency="critical" if kind == 6 else "normal",
            )
        )
    insights.append(analysed(MessageFactory(conversation=insights[0].message.conversation)))
    return insights


HALF_MINUTE = timedelta(seconds=30)


def outcome(insights) -> list[tuple]:
    """What routing left behind per conversation; deadlines in half minutes after the clock started (a
    complaint halves them from the moment it opens, a little later in each run)."""
    rows = []
    for c in Conversation.objects.filter(pk__in={i.message.conversation_id for i in insights}).select_related(
        "assignee", "team", "complaint__owner"
    ):
        case = getattr(c, "complaint", None)
        rows.append(
            (
                c.pk,
                c.assignee.username if c.assignee else None,
                c.team.slug if c.team else None,
                [(d.rule, d.agent_id) for d in RoutingDecision.objects.filter(conversation=c).order_by("id")],
                (case.owner.username, case.triggers) if case else None,
                sorted(
                    (k.kind, k.target_minutes, (k.due_at - k.started_at) // HALF_MINUTE)
                    for k in c.sla_clocks.all()
                ),
            )
        )
    return sorted(rows)


def test_a_burst_of_insights_routes_and_opens_cases_as_one_at_a_time_would(
    hotline, online, seat, supervisor, sla_policy
):
    sla_policy("Urgent email", Channel.EMAIL, 30, 60, 240, priority=Priority.URGENT)
    staff(hotline, online, seat)
    insights = burst_of_insights(hotline, online, 20)
    with transaction.atomic():
        for insight in insights:
            receivers.on_insight_stored(insight, insight.message)
        one_by_one = outcome(insights)
        transaction.set_rollback(True)
    read(insights)

    assert outcome(insights) == one_by_one
    conversations = [Conversation.objects.get(pk=i.message.conversation_id) for i in insights[:20]]
    assert conversations[1].assignee.username == "expert"  # VIP
    assert conversations[2].assignee.username == "billing"  # skill match
    assert conversations[7].assignee.username == "online"  # its team only
    assert conversations[8].team is not None  # unrouted: takes the agent's team
    assert conversations[9].assignee is None  # resolved: not routed
    assert ComplaintCase.objects.get(conversation=conversations[5]).triggers == ["regulator"]
    assert ComplaintCase.objects.get(conversation=conversations[3]).triggers == ["repeated_contact"]
    assert {c.owner.username for c in ComplaintCase.objects.filter(conversation__team=hotline)} == {"expert"}
    assert conversations[6].sla_clocks.get(kind=ClockKind.FIRST_RESPONSE).target_minutes == 30  # urgent
    assert RoutingDecision.objects.filter(conversation=conversations[0]).count() == 1  # routed once


def test_complaint_cases_of_a_burst_go_to_the_expert_with_the_fewest_open_cases(hotline, seat):
    first, second = seat(hotline, "expert-1", expert=True), seat(hotline, "expert-2", expert=True)
    services.open_complaint(opened(team=hotline)[0], ["regulator"], timezone.now())
    pairs = [opened(team=hotline) for _ in range(5)]
    arrive(pairs)
    read([analysed(m, risk=True) for _, m in pairs])
    owners = [ComplaintCase.objects.get(conversation=c).owner for c, _ in pairs]
    assert owners.count(first) + owners.count(second) == 5
    assert ComplaintCase.objects.filter(owner=first).count() == 3  # 1 + 2: the counts grew as cases went out
    assert ComplaintCase.objects.filter(owner=second).count() == 3


def test_routing_a_burst_costs_the_same_queries_for_50_or_200_insights(
    hotline, online, seat, supervisor, caplog
):
    staff(hotline, online, seat)

    def cost(n: int) -> tuple[int, int]:
        """Queries, and callbacks left for after commit (each a trip to the live layer)."""
        insights = burst_of_insights(hotline, online, n)
        callbacks = len(connection.run_on_commit)
        spent = queries(lambda: receivers.on_insights_stored(sender=Insight, insights=insights))
        return spent, len(connection.run_on_commit) - callbacks

    small, large = cost(50), cost(200)
    assert large == small
    assert ComplaintCase.objects.count() == 11 + 41  # both bursts opened cases: that path is counted too
    assert RoutingDecision.objects.filter(rule="complaint").exists()  # and handed some to the expert
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_one_conversation_that_breaks_routing_leaves_the_rest_of_the_burst_routed(
    hotline, seat, monkeypatch, caplog
):
    agent = seat(hotline, "on-duty", capacity=10)
    pairs = [opened(team=hotline, preview="BOOM" if i == 2 else "") for i in range(5)]
    arrive(pairs)
    language = services.assignment._language

    def broken(text: str) -> str:
        if text == "BOOM":
            raise RuntimeError("routing bug")
        return language(text)

    monkeypatch.setattr(services.assignment, "_language", broken)
    read([analysed(m) for _, m in pairs])

    assignees = [Conversation.objects.get(pk=c.pk).assignee for c, _ in pairs]
    assert assignees == [agent, agent, None, agent, agent]
    assert Insight.objects.count() == 5 and Message.objects.count() == 5  # nothing rolled back
    assert SlaClock.objects.filter(conversation=pairs[2][0]).count() == 2
    assert "one by one" in caplog.text


def test_one_conversation_that_breaks_its_clocks_leaves_the_rest_of_the_burst_timed(monkeypatch, caplog):
    pairs = [opened(Channel.WECHAT, subject="BOOM" if i == 1 else "") for i in range(4)]
    policy = services.SlaRules.policy

    def broken(rules, conversation):
        if conversation.subject == "BOOM":
            raise RuntimeError("clock bug")
        return policy(rules, conversation)

    monkeypatch.setattr(services.SlaRules, "policy", broken)
    arrive(pairs)

    assert [c.sla_clocks.count() for c, _ in pairs] == [2, 0, 2, 2]
    assert Message.objects.count() == 4
    assert "one by one" in caplog.text
