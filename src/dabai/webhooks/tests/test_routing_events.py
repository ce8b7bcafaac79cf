"""Automatic routing assigns set-wise, yet an integrator hears every assignment it makes, as it hears a
person's: ``conversation.assigned`` with who made it, signed and delivered after commit."""

import pytest
from standardwebhooks import Webhook

from dabai.accounts.models import Role
from dabai.conversations import services as conversation_services
from dabai.conversations.models import Conversation
from dabai.conversations.services import receive_message
from dabai.routing import services as routing_services
from dabai.routing.models import AgentRouting
from dabai.testing import ConversationFactory, CustomerFactory, TeamFactory, UserFactory
from dabai.webhooks import services
from dabai.webhooks.models import EventType

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned_endpoint(receiver, admin_user):
    return services.create_endpoint("CRM", receiver.url, [EventType.CONVERSATION_ASSIGNED], actor=admin_user)


def test_routing_announces_each_conversation_it_assigned_and_none_a_person_already_had(
    receiver, assigned_endpoint, commit, deliver_all
):
    hotline = TeamFactory(slug="hotline")
    agent = UserFactory(username="xiaoli", role=Role.AGENT, teams=[hotline])
    AgentRouting.objects.create(user=agent, default_capacity=5)
    colleague = UserFactory(username="xiaozhou", role=Role.AGENT, teams=[hotline])
    queued = [ConversationFactory(team=hotline) for _ in range(2)]
    ConversationFactory(team=hotline, assignee=colleague)

    with commit():
        assert routing_services.route_queued() == 2
    deliver_all()

    payloads = [call["json"] for call in receiver.calls]
    assert {p["type"] for p in payloads} == {"conversation.assigned"}
    assert sorted(p["data"]["conversation_id"] for p in payloads) == sorted(c.pk for c in queued)
    assert all(p["data"]["assignee_id"] == agent.pk and p["data"]["by"] == "routing" for p in payloads)
    assert all(p["data"]["team_id"] == hotline.pk for p in payloads)
    assert set(
        Conversation.objects.filter(pk__in=[c.pk for c in queued]).values_list("assignee", flat=True)
    ) == {agent.pk}
    for call in receiver.calls:
        Webhook(assigned_endpoint.secret).verify(call["body"], call["headers"])


def test_a_person_assigning_is_announced_as_a_person(receiver, assigned_endpoint, commit, deliver_all):
    hotline = TeamFactory(slug="hotline")
    agent = UserFactory(username="xiaoli", role=Role.AGENT, teams=[hotline])
    supervisor = UserFactory(username="banzhang", role=Role.SUPERVISOR)
    conversation = ConversationFactory(team=hotline)

    with commit():
        conversation_services.assign(conversation, agent, actor=supervisor)
    deliver_all()

    [call] = receiver.calls
    assert call["json"]["data"]["by"] == "person" and call["json"]["data"]["assignee_id"] == agent.pk


def test_a_channel_probe_message_is_never_announced(receiver, admin_user, commit, deliver_all):
    """Quality's channel probes are synthetic messages through the real doors: an integrator's CRM must
    hear of real customers only."""
    services.create_endpoint("CRM", receiver.url, [EventType.MESSAGE_RECEIVED], actor=admin_user)
    with commit():
        receive_message(customer=CustomerFactory(is_probe=True), channel="sms", body="拨测", external_id="p")
        receive_message(customer=CustomerFactory(), channel="sms", body="在吗", external_id="k")
    deliver_all()
    assert [call["json"]["data"]["channel"] for call in receiver.calls] == ["sms"]
    assert len(receiver.calls) == 1
