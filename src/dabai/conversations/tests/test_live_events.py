"""Live inbox: agents hear about new messages over WebSocket, only for what they may see."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from dabai.accounts.models import Role
from dabai.config.asgi import application
from dabai.conversations.live import publish_conversation_event
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.testing import PASSWORD, ConversationFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        (b"origin", b"http://127.0.0.1"),
        (b"host", b"127.0.0.1"),
    ]


def test_agent_inbox_hears_about_a_new_message_after_commit(agent):
    customer = CustomerFactory()
    headers = session_headers(agent)

    async def scenario() -> dict:
        communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        await database_sync_to_async(receive_message)(
            channel=Channel.CHAT, customer=customer, body="在吗？订单还没发货", external_id="live-1"
        )
        event = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return event

    event = async_to_sync(scenario)()
    assert event["kind"] == "conversation.created"
    assert "body" not in event, "events carry no message text"


def test_department_member_cannot_listen_to_the_inbox(department_member):
    headers = session_headers(department_member)

    async def scenario() -> bool:
        communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
        connected, _ = await communicator.connect()
        return connected

    assert async_to_sync(scenario)() is False


def test_agent_cannot_follow_another_teams_conversation(other_agent, hotline):
    conversation = ConversationFactory(team=hotline)
    headers = session_headers(other_agent)

    async def scenario() -> bool:
        path = f"/ws/conversations/{conversation.pk}/"
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect()
        return connected

    assert async_to_sync(scenario)() is False


def test_each_agent_hears_only_about_conversations_they_may_see(
    agent, other_agent, supervisor, hotline, online
):
    """Two agents of two teams on a real channel layer: neither learns the other team's conversation ids."""
    hotline_case = ConversationFactory(team=hotline)
    online_case = ConversationFactory(team=online)
    unrouted = ConversationFactory(team=None)
    handed_to_other = ConversationFactory(team=hotline, assignee=other_agent)
    people = {"agent": agent, "other": other_agent, "supervisor": supervisor}
    headers = {name: session_headers(user) for name, user in people.items()}

    async def heard(conversation) -> set[str]:
        sockets = {
            name: WebsocketCommunicator(application, "/ws/inbox/", headers=h) for name, h in headers.items()
        }
        for socket in sockets.values():
            assert (await socket.connect())[0]
        await database_sync_to_async(publish_conversation_event)(conversation.pk, "message.new")
        listeners = set()
        for name, socket in sockets.items():
            if not await socket.receive_nothing(timeout=0.3):
                event = await socket.receive_json_from(timeout=1)
                assert event["conversation_id"] == conversation.pk
                listeners.add(name)
            await socket.disconnect()
        return listeners

    assert async_to_sync(heard)(hotline_case) == {"agent", "supervisor"}
    assert async_to_sync(heard)(online_case) == {"other", "supervisor"}
    assert async_to_sync(heard)(unrouted) == {"agent", "other", "supervisor"}
    assert async_to_sync(heard)(handed_to_other) == {"agent", "other", "supervisor"}


def test_what_the_inbox_tells_matches_what_each_person_may_open(
    agent, other_agent, supervisor, hotline, online
):
    """The groups an inbox joins and the groups an event goes to agree with the permission policy."""
    from dabai.accounts.permissions import visible_conversations
    from dabai.conversations.live import audience_groups, inbox_groups
    from dabai.conversations.models import Conversation

    seer = UserFactory(username="quality", role=Role.AGENT, teams=[hotline])
    seer.agent_profile.can_view_all_teams = True
    seer.agent_profile.save()
    cases = [
        ConversationFactory(team=hotline),
        ConversationFactory(team=online),
        ConversationFactory(team=None),
        ConversationFactory(team=online, assignee=agent),
        ConversationFactory(team=None, assignee=other_agent),
    ]
    for user in (agent, other_agent, supervisor, seer):
        joined = set(inbox_groups(user))
        told = {c.pk for c in cases if joined & set(audience_groups(c.team_id, c.assignee_id))}
        allowed = set(visible_conversations(user, Conversation.objects.all()).values_list("pk", flat=True))
        assert told == allowed, user.username


def test_customers_cannot_listen_to_the_inbox(customer_user):
    headers = session_headers(customer_user)

    async def scenario() -> bool:
        communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
        return (await communicator.connect())[0]

    assert async_to_sync(scenario)() is False
