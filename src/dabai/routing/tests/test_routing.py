"""Who gets a new conversation, and why."""

import pytest

from dabai.conversations.models import Conversation, Insight, Status
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.customers.models import Tier
from dabai.routing import services
from dabai.routing.models import AgentState, RoutingDecision, RoutingRule
from dabai.testing import ConversationFactory, CustomerFactory, MessageFactory, run_queued_tasks

pytestmark = pytest.mark.django_db


def conversation(
    team, *, intent="billing", tier=Tier.REGULAR, channel=Channel.CHAT, **kwargs
) -> Conversation:
    c = ConversationFactory(team=team, channel=channel, customer=CustomerFactory(tier=tier), **kwargs)
    message = MessageFactory(conversation=c)
    Insight.objects.create(
        message=message, sentiment="neutral", intent=intent, urgency="normal", model_version="t"
    )
    return c


def busy(agent, team, n: int, channel=Channel.CHAT) -> None:
    for _ in range(n):
        ConversationFactory(team=team, channel=channel, assignee=agent)


def test_vip_customer_goes_to_expert_seat(hotline, seat):
    seat(hotline, "junior")
    expert = seat(hotline, "expert", expert=True)
    busy(expert, hotline, 2)  # even when the expert is busier than the junior agent
    c = conversation(hotline, tier=Tier.VIP)
    decision = services.route(c)
    assert c.assignee == expert
    assert decision.rule == RoutingRule.EXPERT


def test_regular_customer_goes_to_least_loaded_agent(hotline, seat):
    a, b = seat(hotline, "a"), seat(hotline, "b")
    busy(a, hotline, 3)
    busy(b, hotline, 1)
    c = conversation(hotline)
    assert services.route(c).rule == RoutingRule.LEAST_LOADED
    assert c.assignee == b


def test_skill_match_comes_before_load(hotline, seat):
    generalist = seat(hotline, "generalist")
    billing = seat(hotline, "billing-expert", skills=["billing"])
    busy(billing, hotline, 3)
    c = conversation(hotline, intent="billing")
    decision = services.route(c)
    assert c.assignee == billing
    assert decision.rule == RoutingRule.SKILL
    assert "billing" in decision.reason
    assert generalist != c.assignee


def test_equally_loaded_agents_take_turns(hotline, seat):
    first, second = seat(hotline, "first"), seat(hotline, "second")
    one, two = conversation(hotline), conversation(hotline)
    assert services.route(one).rule == RoutingRule.ROUND_ROBIN
    services.route(two)
    assert {one.assignee, two.assignee} == {first, second}


def test_full_agents_leave_the_conversation_queued_with_a_reason(hotline, seat):
    agent = seat(hotline, "full", capacity=1)
    busy(agent, hotline, 1)
    c = conversation(hotline)
    decision = services.route(c)
    assert c.assignee is None
    assert decision.rule == RoutingRule.QUEUED
    assert RoutingDecision.objects.get(conversation=c).rule == RoutingRule.QUEUED


def test_capacity_is_per_channel(hotline, seat):
    agent = seat(hotline, "email-only", capacity=1)
    busy(agent, hotline, 1, channel=Channel.CHAT)
    c = conversation(hotline, channel=Channel.EMAIL)
    services.route(c)
    assert c.assignee == agent


def test_agent_on_a_break_gets_no_new_conversations(hotline, seat, supervisor):
    resting, working = seat(hotline, "resting"), seat(hotline, "working")
    busy(working, hotline, 4)
    services.set_agent_state(resting, AgentState.BREAK, actor=resting)
    c = conversation(hotline)
    services.route(c)
    assert c.assignee == working


def test_agents_only_get_their_own_teams_work(hotline, online, seat):
    seat(hotline, "hotline-agent")
    online_agent = seat(online, "online-agent")
    c = conversation(online)
    services.route(c)
    assert c.assignee == online_agent


def test_going_offline_hands_open_work_to_a_colleague(hotline, seat, supervisor):
    leaving, staying = seat(hotline, "leaving"), seat(hotline, "staying")
    c = conversation(hotline, assignee=leaving)
    moved = services.set_agent_state(leaving, AgentState.OFFLINE, actor=supervisor)
    c.refresh_from_db()
    assert moved == 1
    assert c.assignee == staying
    assert RoutingDecision.objects.filter(conversation=c, rule=RoutingRule.REASSIGNED).exists()


def test_new_message_is_routed_once_the_filter_has_read_it(hotline, seat, django_capture_on_commit_callbacks):
    agent = seat(hotline, "on-duty")
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        received = receive_message(
            channel=Channel.WECHAT, customer=customer, body="我的账单多扣了30元，怎么回事？"
        )
    c = received.message.conversation
    assert Conversation.objects.get(pk=c.pk).assignee is None  # not before analysis
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    c.refresh_from_db()
    assert c.assignee == agent
    decision = RoutingDecision.objects.get(conversation=c)
    assert decision.reason


def test_queued_conversations_are_routed_in_bulk(hotline, online, seat):
    a = seat(hotline, "a", skills=["logistics"], capacity=2)
    b = seat(online, "b")
    waiting = [conversation(hotline, intent="logistics") for _ in range(3)] + [conversation(online)]
    assigned = services.route_queued(batch_size=2)
    assert assigned == 3  # a's chat capacity is two: the third hotline conversation waits
    owners = [Conversation.objects.get(pk=c.pk).assignee for c in waiting]
    assert owners.count(a) == 2 and owners[3] == b
    assert Conversation.objects.filter(status=Status.OPEN, assignee__isnull=True).count() == 1
