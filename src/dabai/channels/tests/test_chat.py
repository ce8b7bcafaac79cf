"""Web chat over a real WebSocket: visitor by signed cookie, agents live, answers by email."""

import email
import email.header
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from dabai.channels.models import ChatVisitor, InboundPayload
from dabai.config.asgi import application
from dabai.conversations.models import Conversation, DeliveryStatus, Message
from dabai.conversations.services import post_reply
from dabai.testing import PASSWORD, run_queued_tasks

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ORIGIN = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


@pytest.fixture(autouse=True)
def fresh_throttle():
    """New chats are counted per address in the cache; each test starts from zero."""
    cache.clear()


def visitor_cookie(client: Client | None = None) -> tuple[Client, str]:
    client = client or Client()
    response = client.post("/channels/chat/session/")
    assert response.status_code == 200
    return client, client.cookies["dabai_visitor"].value


def chat_socket(cookie: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, "/ws/chat/", headers=[(b"cookie", f"dabai_visitor={cookie}".encode()), *ORIGIN]
    )


def agent_inbox(user) -> WebsocketCommunicator:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    headers = [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()), *ORIGIN]
    return WebsocketCommunicator(application, "/ws/inbox/", headers=headers)


def test_widget_is_one_script_that_speaks_chinese(client):
    response = client.get("/channels/chat/widget.js")
    assert response["Content-Type"].startswith("application/javascript")
    assert "/ws/chat/" in response.content.decode() and "发送" in response.content.decode()
    assert b"/channels/chat/widget.js" in client.get("/channels/chat/demo/").content


def test_visitor_chats_live_and_the_agent_inbox_hears_of_it(agent):
    _, cookie = visitor_cookie()
    inbox = agent_inbox(agent)

    async def scenario() -> tuple[dict, dict, dict]:
        assert (await inbox.connect())[0]
        visitor = chat_socket(cookie)
        assert (await visitor.connect())[0]
        frame = {"type": "message", "text": "你好，我的订单还没发货", "client_id": "c1"}
        await visitor.send_json_to(frame)
        ack = await visitor.receive_json_from(timeout=5)
        await visitor.send_json_to(frame)  # the widget re-sends after a reconnect
        await visitor.receive_json_from(timeout=5)
        event = await inbox.receive_json_from(timeout=5)

        conversation = await database_sync_to_async(Conversation.objects.get)()
        await database_sync_to_async(post_reply)(conversation, agent, "您好，马上为您查询。")
        await database_sync_to_async(run_queued_tasks)()
        reply = await visitor.receive_json_from(timeout=5)
        await visitor.disconnect()
        await inbox.disconnect()
        return ack, event, reply

    ack, event, reply = async_to_sync(scenario)()
    assert ack["type"] == "ack"
    assert event["kind"] == "conversation.created" and "text" not in event
    assert reply["type"] == "reply" and reply["text"] == "您好，马上为您查询。" and reply["from"] == "agent"
    assert Message.objects.filter(direction="inbound").count() == 1
    assert Message.objects.get(direction="outbound").delivery_status == DeliveryStatus.SENT
    inbound = Message.objects.get(direction="inbound")
    assert ack["id"] == inbound.pk
    payloads = InboundPayload.objects.filter(channel="chat", source="widget")
    assert payloads.count() == 2, "each frame is stored raw first, the re-sent one too"
    assert {p.message_id for p in payloads} == {inbound.pk}
    assert json.loads(bytes(payloads.first().raw))["text"] == "你好，我的订单还没发货"


def test_returning_visitor_keeps_their_history(agent):
    client, cookie = visitor_cookie()

    async def say() -> None:
        visitor = chat_socket(cookie)
        await visitor.connect()
        await visitor.send_json_to({"type": "message", "text": "第一句", "client_id": "a"})
        await visitor.receive_json_from(timeout=5)
        await visitor.disconnect()

    async_to_sync(say)()
    history = client.post("/channels/chat/session/").json()["history"]
    assert [(m["from"], m["text"]) for m in history] == [("visitor", "第一句")]
    assert ChatVisitor.objects.count() == 1


def test_forged_or_missing_cookie_cannot_open_a_chat(db):
    _, cookie = visitor_cookie()

    async def connects(value: str) -> bool:
        communicator = chat_socket(value)
        connected, _ = await communicator.connect()
        if connected:
            await communicator.disconnect()
        return connected

    assert async_to_sync(connects)(cookie) is True
    assert async_to_sync(connects)(cookie[:-2] + "xx") is False
    assert async_to_sync(connects)("") is False


def test_visitor_who_left_an_email_gets_the_answer_by_email(agent, smtp_sink):
    _, cookie = visitor_cookie()

    async def leave_email_and_go() -> None:
        visitor = chat_socket(cookie)
        await visitor.connect()
        await visitor.send_json_to({"type": "message", "text": "有人吗？发票怎么开", "client_id": "m1"})
        await visitor.receive_json_from(timeout=5)
        await visitor.send_json_to({"type": "identify", "email": "Visitor@Example.cn"})
        assert (await visitor.receive_json_from(timeout=5))["type"] == "identified"
        await visitor.disconnect()

    async_to_sync(leave_email_and_go)()
    post_reply(Conversation.objects.get(), agent, "您好，发票可以在订单页申请。")
    run_queued_tasks()

    assert smtp_sink.messages[0]["to"] == ["visitor@example.cn"]
    sent = email.message_from_bytes(smtp_sink.messages[0]["data"])
    subject = email.header.make_header(email.header.decode_header(sent["Subject"]))
    assert str(subject) == "您咨询的问题已有答复"
    body = sent.get_payload(decode=True).decode()
    assert "发票可以在订单页申请" in body
    assert Message.objects.get(direction="outbound").delivery_status == DeliveryStatus.SENT
