"""Live inbox: agents hear about new messages over WebSocket, only for what they may see."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from dabai.config.asgi import application
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.testing import PASSWORD, ConversationFactory, CustomerFactory

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
