"""The chat widget facing the open internet: other sites' origins, session floods, junk frames, bad emails."""

import json
import logging

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.test import Client

from dabai.channels import chat as chat_module
from dabai.channels.models import ChatVisitor
from dabai.config.asgi import application
from dabai.customers.models import Customer
from dabai.testing import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SHOP = "https://shop.example.com"
SERVER = [(b"host", b"kefu.example.cn")]


@pytest.fixture(autouse=True)
def widget_settings(settings):
    settings.ALLOWED_HOSTS = ["kefu.example.cn", "testserver"]
    settings.DABAI_WIDGET_ORIGINS = f"{SHOP}, https://m.shop.example.com"
    cache.clear()
    yield settings
    cache.clear()


def open_session(client: Client | None = None, origin: str = SHOP, visitor: str = "", **extra):
    client = client or Client()
    body = json.dumps({"visitor": visitor} if visitor else {})
    return client.post(
        "/channels/chat/session/",
        body,
        content_type="application/json",
        HTTP_ORIGIN=origin,
        HTTP_HOST="kefu.example.cn",
        **extra,
    )


def new_visitor(origin: str = SHOP) -> str:
    response = open_session(origin=origin)
    assert response.status_code == 200, response.content
    return response.json()["visitor"]


def widget_socket(token: str, origin: str = SHOP) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application,
        "/ws/chat/",
        headers=[(b"origin", origin.encode()), *SERVER],
        subprotocols=["dabai.chat", f"dabai.visitor.{token}"],
    )


def socket_opens(communicator: WebsocketCommunicator) -> tuple[bool, object]:
    async def attempt():
        connected, detail = await communicator.connect()
        if connected:
            await communicator.disconnect()
        return connected, detail

    return async_to_sync(attempt)()


def chat(token: str, frames: list, origin: str = SHOP) -> list[dict]:
    """Open the widget's socket, send each frame (a dict as JSON, str or bytes as is), collect the answers."""

    async def scenario() -> list[dict]:
        socket = widget_socket(token, origin)
        connected, _ = await socket.connect()
        assert connected
        answers = []
        for frame in frames:
            if isinstance(frame, dict):
                await socket.send_json_to(frame)
            elif isinstance(frame, bytes):
                await socket.send_to(bytes_data=frame)
            else:
                await socket.send_to(text_data=frame)
            answers.append(await socket.receive_json_from(timeout=5))
        await socket.disconnect()
        return answers

    return async_to_sync(scenario)()


# 1. The widget lives on the company's own website, another origin.


def test_widget_on_the_company_site_chats_over_its_own_origin():
    token = new_visitor()

    answers = chat(token, [{"type": "message", "text": "你好，网站上的客服在吗？", "client_id": "w1"}])

    assert answers[0]["type"] == "ack"
    assert (
        ChatVisitor.objects.get().customer.conversations.get().messages.get().body
        == "你好，网站上的客服在吗？"
    )


def test_chat_socket_names_the_protocol_the_widget_asked_for():
    connected, subprotocol = socket_opens(widget_socket(new_visitor()))
    assert connected and subprotocol == "dabai.chat"


def test_chat_socket_refuses_sites_that_are_not_configured():
    token = new_visitor()
    assert socket_opens(widget_socket(token, "https://evil.example.net"))[0] is False
    assert socket_opens(widget_socket(token, "http://shop.example.com"))[0] is False  # scheme matters
    assert socket_opens(widget_socket(token, "https://m.shop.example.com"))[0] is True


def test_chat_socket_refuses_a_forged_visitor_token():
    token = new_visitor()
    assert socket_opens(widget_socket(token[:-2] + "xx"))[0] is False
    assert socket_opens(widget_socket("nobody"))[0] is False


def test_desk_sockets_stay_same_origin_only(agent):
    client = Client()
    assert client.login(username=agent.username, password=PASSWORD)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()

    def inbox(origin: str) -> bool:
        headers = [(b"cookie", cookie), (b"origin", origin.encode()), *SERVER]
        return socket_opens(WebsocketCommunicator(application, "/ws/inbox/", headers=headers))[0]

    assert inbox("https://kefu.example.cn") is True
    assert inbox(SHOP) is False, "the widget's sites may not listen to the desk"
    assert inbox("https://kefu.example.cn:8443") is False, "another port is another origin"


def test_session_endpoint_answers_preflight_for_configured_sites_only():
    client = Client()
    preflight = client.options(
        "/channels/chat/session/",
        HTTP_ORIGIN=SHOP,
        HTTP_HOST="kefu.example.cn",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "content-type" in preflight["Access-Control-Allow-Headers"].lower()
    assert "Origin" in preflight["Vary"]
    assert "Access-Control-Allow-Credentials" not in preflight, "the widget identifies by token, not cookie"

    refused = client.options(
        "/channels/chat/session/",
        HTTP_ORIGIN="https://evil.example.net",
        HTTP_HOST="kefu.example.cn",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused


def test_session_endpoint_allows_configured_sites_and_refuses_others():
    allowed = open_session(origin=SHOP)
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == SHOP

    refused = open_session(origin="https://evil.example.net")
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused
    assert ChatVisitor.objects.count() == 1

    same_site = open_session(origin="https://kefu.example.cn")  # the demo page, on dabai itself
    assert same_site.status_code == 200
    assert "Access-Control-Allow-Origin" not in same_site


def test_visitor_on_another_site_resumes_their_chat_with_the_token_alone():
    token = new_visitor()
    chat(token, [{"type": "message", "text": "第一句", "client_id": "a"}])

    again = open_session(Client(), visitor=token)  # a fresh client: no cookie crosses sites

    assert again.json()["visitor"] == token
    assert [m["text"] for m in again.json()["history"]] == ["第一句"]
    assert ChatVisitor.objects.count() == 1


# 2. Fifty cookieless posts must not leave fifty customers.


def test_visitors_who_never_write_leave_no_customer():
    for _ in range(10):
        new_visitor()
    assert Customer.objects.count() == 0

    token = new_visitor()
    chat(token, [{"type": "message", "text": "我有个问题", "client_id": "q"}])
    assert Customer.objects.count() == 1


def test_one_address_opening_many_chats_is_throttled(settings):
    settings.DABAI_CHAT_SESSIONS_PER_IP = 5
    for _ in range(5):
        new_visitor()

    refused = open_session(REMOTE_ADDR="127.0.0.1")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 600
    assert refused["Access-Control-Allow-Origin"] == SHOP, "the widget can read why"
    assert refused.json()["error"]
    assert ChatVisitor.objects.count() == 5

    assert open_session(REMOTE_ADDR="10.1.2.3").status_code == 200, "another address is not held back"
    resumed = open_session(visitor=chat_module.sign_visitor(ChatVisitor.objects.first()))
    assert resumed.status_code == 200, "a returning visitor is never throttled"


# 3. Junk on the socket: an error frame, the chat goes on, one log line.


def test_junk_frames_get_an_error_and_the_chat_goes_on(caplog):
    token = new_visitor()
    junk = ["not json {", "[1, 2, 3]", '"just a string"', "null", b"\x00\xff binary", "x" * 100_000]
    junk += [{"type": "message", "text": {"nested": 1}, "client_id": "n"}, {"type": "dance"}]

    with caplog.at_level(logging.INFO):
        answers = chat(token, [*junk, {"type": "message", "text": "正常的一句话", "client_id": "ok"}])

    assert [a["type"] for a in answers] == ["error"] * len(junk) + ["ack"]
    assert all(a["error"] and a["message"] for a in answers[:-1])
    assert not [r for r in caplog.records if r.exc_info], "no tracebacks for junk"
    refused = [r for r in caplog.records if r.name == "dabai.channels.chat.consumers"]
    assert len(refused) == len(junk)
    assert all("\n" not in r.getMessage() and len(r.getMessage()) < 300 for r in refused)


# 4. What the visitor types about themselves goes into mail headers later.


@pytest.mark.parametrize(
    "address",
    ["v@example.cn\r\nBcc: all@example.cn", "v@example.cn\nX: y", "not-an-email", "a" * 300 + "@x.cn"],
)
def test_visitor_email_must_be_an_address(address):
    token = new_visitor()

    answers = chat(token, [{"type": "identify", "email": address}])

    assert answers[0]["type"] == "error" and answers[0]["error"] == "invalid_email"
    assert answers[0]["message"]
    assert ChatVisitor.objects.get().email == ""


def test_visitor_email_is_kept_in_lower_case():
    token = new_visitor()
    assert chat(token, [{"type": "identify", "email": " Visitor@Example.CN "}])[0]["type"] == "identified"
    assert ChatVisitor.objects.get().email == "visitor@example.cn"


def test_line_breaks_never_reach_the_visitors_name():
    token = new_visitor()
    chat(
        token,
        [
            {"type": "identify", "name": "王\r\nBcc: all@example.cn"},
            {"type": "message", "text": "你好", "client_id": "1"},
        ],
    )
    assert Customer.objects.get().display_name == "王 Bcc: all@example.cn"


def test_visitor_who_gives_a_name_later_renames_their_anonymous_record():
    token = new_visitor()
    chat(token, [{"type": "message", "text": "你好", "client_id": "1"}])
    assert Customer.objects.get().display_name.startswith("访客 ")

    chat(token, [{"type": "identify", "name": "王小二\n"}])
    assert Customer.objects.get().display_name == "王小二"


def test_visitor_with_an_older_cookie_keeps_their_chat():

    token = new_visitor()
    chat(token, [{"type": "message", "text": "老访客", "client_id": "o"}])
    older = signing.dumps(ChatVisitor.objects.get().token, salt=chat_module.COOKIE_SALT)

    client = Client()
    client.cookies["dabai_visitor"] = older
    again = open_session(client, origin="https://kefu.example.cn")

    assert [m["text"] for m in again.json()["history"]] == ["老访客"]
    assert again.json()["visitor"] == token
