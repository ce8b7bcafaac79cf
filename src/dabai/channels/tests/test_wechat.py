"""WeChat Official Account through the real callback protocol, plaintext and safe mode, and the CS API."""

import base64
import itertools
import logging
import time
import urllib.parse
from datetime import timedelta

import pytest
from Crypto.Cipher import AES
from django.utils import timezone

from dabai.channels import wechat
from dabai.channels.adapter import PayloadError
from dabai.channels.models import InboundPayload, SeenNonce, Subscription
from dabai.channels.tasks import sweep_inbound
from dabai.conversations.models import Conversation, DeliveryStatus, Message
from dabai.conversations.services import post_reply
from dabai.core.management.commands.serve import RedactQuery, uvicorn_log_config
from dabai.testing import run_queued_tasks

from .conftest import drain

TOKEN = "dabaitoken"
APP_ID = "wx1234567890abcdef"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
NONCES = (f"nonce{i}" for i in itertools.count())


@pytest.fixture(autouse=True)
def account(settings):
    """A plaintext-mode account; ``safe_mode`` adds the EncodingAESKey."""
    settings.DABAI_WECHAT_TOKEN = TOKEN
    settings.DABAI_WECHAT_APP_ID = APP_ID
    settings.DABAI_WECHAT_APP_SECRET = "app-secret"
    settings.DABAI_WECHAT_AES_KEY = ""


@pytest.fixture
def safe_mode(settings):
    settings.DABAI_WECHAT_AES_KEY = AES_KEY


def xml(msg_type: str, msg_id: str = "6054768590064713728", **fields: str) -> str:
    body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    msg_id_xml = f"<MsgId>{msg_id}</MsgId>" if msg_id else ""
    return (
        f"<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>1764034200</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{body}{msg_id_xml}</xml>"
    )


def post_plain(client, body: str, *, token: str = TOKEN, timestamp: int | None = None, nonce: str = ""):
    timestamp_, nonce = str(int(time.time()) if timestamp is None else timestamp), nonce or next(NONCES)
    query = urllib.parse.urlencode(
        {"signature": wechat.signature(token, timestamp_, nonce), "timestamp": timestamp_, "nonce": nonce}
    )
    response = client.post(f"/channels/wechat/?{query}", data=body.encode(), content_type="text/xml")
    drain()
    return response


def post_safe(
    client,
    body: str,
    *,
    tamper: bool = False,
    timestamp: int | None = None,
    encrypted: str = "",
    with_msg_signature: bool = True,
):
    timestamp_, nonce = str(int(time.time()) if timestamp is None else timestamp), next(NONCES)
    encrypted = encrypted or wechat.encrypt(body, AES_KEY, APP_ID)
    envelope = (
        "<xml><ToUserName><![CDATA[gh_account]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    query = {
        "signature": wechat.signature(TOKEN, timestamp_, nonce),
        "timestamp": timestamp_,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": "0" * 40 if tamper else wechat.signature(TOKEN, timestamp_, nonce, encrypted),
    }
    if not with_msg_signature:
        del query["msg_signature"]
    response = client.post(
        f"/channels/wechat/?{urllib.parse.urlencode(query)}", data=envelope.encode(), content_type="text/xml"
    )
    drain()
    return response


def test_url_verification_echoes_only_for_a_valid_signature(client, db):
    timestamp, nonce = "1764034200", "abc"
    good = {"signature": wechat.signature(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    response = client.get("/channels/wechat/", {**good, "echostr": "4711"})
    assert response.status_code == 200 and response.content == b"4711"
    assert client.get("/channels/wechat/", {**good, "signature": "bad", "echostr": "4711"}).status_code == 403


def test_plaintext_text_message_is_stored_once(client, db):
    body = xml("text", Content="我的快递三天没动了")
    assert post_plain(client, body).content == b"success"
    assert post_plain(client, body).content == b"success"

    message = Message.objects.get()
    assert message.body == "我的快递三天没动了"
    assert message.channel == "wechat"
    assert message.conversation.customer.identities.get().external_id == OPENID


def test_voice_image_and_location_become_readable_messages(client, db):
    post_plain(client, xml("voice", "1", MediaId="m1", Format="amr", Recognition="我要投诉你们的客服"))
    post_plain(client, xml("image", "2", PicUrl="http://mmbiz.example/pic.jpg", MediaId="m2"))
    location = "<Location_X>31.23</Location_X><Location_Y>121.47</Location_Y><Scale>15</Scale>"
    post_plain(client, xml("location", "3", Label="上海市黄浦区").replace("<MsgId>", location + "<MsgId>"))

    bodies = list(Message.objects.order_by("external_id").values_list("body", flat=True))
    assert bodies[0] == "我要投诉你们的客服"
    assert bodies[1] == "[图片] http://mmbiz.example/pic.jpg"
    assert bodies[2] == "[位置] 上海市黄浦区 (31.23, 121.47)"
    assert Conversation.objects.count() == 1


def test_safe_mode_message_is_decrypted_and_a_forged_signature_is_refused(client, db, caplog, safe_mode):
    body = xml("text", Content="加密模式下的消息")
    assert post_safe(client, body, tamper=True).status_code == 403
    assert "bad msg_signature" in caplog.text
    assert Message.objects.count() == 0

    assert post_safe(client, body).content == b"success"
    assert Message.objects.get().body == "加密模式下的消息"


def test_safe_mode_envelope_round_trips_and_rejects_another_app():
    encrypted = wechat.encrypt("<xml>hi</xml>", AES_KEY, APP_ID, random16=b"r" * 16)
    raw = base64.b64decode(encrypted)
    assert len(raw) % 32 == 0
    assert wechat.decrypt(encrypted, AES_KEY, APP_ID) == "<xml>hi</xml>"
    with pytest.raises(PayloadError):
        wechat.decrypt(encrypted, AES_KEY, "wxanotherapp")


def test_unsigned_and_malformed_callbacks_get_4xx(client, db):
    assert client.post("/channels/wechat/", data=b"<xml/>", content_type="text/xml").status_code == 403
    assert post_plain(client, "<xml><unclosed>").status_code == 400
    assert post_plain(client, xml("text", Content="x"), token="wrong").status_code == 403
    assert Message.objects.count() == 0


def test_follow_and_unfollow_events_update_the_subscription(client, db):
    post_plain(client, xml("event", "", Event="subscribe"))
    assert Subscription.objects.get(external_id=OPENID).subscribed
    post_plain(client, xml("event", "", Event="unsubscribe"))
    assert not Subscription.objects.get(external_id=OPENID).subscribed
    assert Message.objects.count() == 0


@pytest.fixture
def wechat_api(stand_in, settings):
    settings.DABAI_WECHAT_API_BASE = stand_in.url
    state = {"tokens": 0, "expire_next": False}

    def token(_):
        state["tokens"] += 1
        return 200, {"access_token": f"TOKEN{state['tokens']}", "expires_in": 7200}

    def send(request):
        if state["expire_next"]:
            state["expire_next"] = False
            return 200, {"errcode": 42001, "errmsg": "access_token expired"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    stand_in.routes["/cgi-bin/token"] = token
    stand_in.routes["/cgi-bin/message/custom/send"] = send
    return stand_in, state


def test_replies_use_the_customer_service_api_with_a_cached_token(client, db, agent, wechat_api, commit):
    stand_in, state = wechat_api
    post_plain(client, xml("text", Content="你好"))
    conversation = Conversation.objects.get()
    with commit():
        first = post_reply(conversation, agent, "您好，请问有什么可以帮您？")
        second = post_reply(conversation, agent, "请提供订单号。")
    run_queued_tasks()

    sends = stand_in.calls("/cgi-bin/message/custom/send")
    assert [r.json()["text"]["content"] for r in sends] == ["您好，请问有什么可以帮您？", "请提供订单号。"]
    assert all(r.json()["touser"] == OPENID and "access_token=TOKEN1" in r.query for r in sends)
    assert state["tokens"] == 1
    for reply in (first, second):
        reply.refresh_from_db()
        assert reply.delivery_status == DeliveryStatus.SENT

    state["expire_next"] = True
    with commit():
        third = post_reply(conversation, agent, "还在吗？")
    run_queued_tasks()
    third.refresh_from_db()
    assert third.delivery_status == DeliveryStatus.SENT
    assert state["tokens"] == 2
    assert "access_token=TOKEN2" in stand_in.calls("/cgi-bin/message/custom/send")[-1].query


def test_reply_to_someone_who_unfollowed_fails_at_once(client, db, agent, wechat_api, commit):
    post_plain(client, xml("text", Content="你好"))
    post_plain(client, xml("event", "", Event="unsubscribe"))
    with commit():
        reply = post_reply(Conversation.objects.get(), agent, "您好")
    run_queued_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "unfollowed" in reply.delivery.last_error


# Forged and replayed callbacks (issue #12, High 1).

YEAR_AGO = int(time.time()) - 365 * 24 * 3600


def test_a_year_old_timestamp_is_refused_in_plaintext_and_safe_mode(client, db, settings):
    assert post_plain(client, xml("text", Content="去年的消息"), timestamp=YEAR_AGO).status_code == 403
    settings.DABAI_WECHAT_AES_KEY = AES_KEY
    assert post_safe(client, xml("text", Content="去年的消息"), timestamp=YEAR_AGO).status_code == 403
    assert Message.objects.count() == 0


def test_the_accepted_clock_skew_is_configurable(client, db, settings):
    settings.DABAI_WECHAT_MAX_AGE_SECONDS = 60
    two_minutes_ago = int(time.time()) - 120
    assert post_plain(client, xml("text", Content="两分钟前"), timestamp=two_minutes_ago).status_code == 403
    settings.DABAI_WECHAT_MAX_AGE_SECONDS = 300
    assert (
        post_plain(client, xml("text", Content="两分钟前"), timestamp=two_minutes_ago).content == b"success"
    )


def test_a_replayed_timestamp_and_nonce_cannot_carry_another_message(client, db):
    now = int(time.time())
    assert (
        post_plain(client, xml("text", "1", Content="真的消息"), timestamp=now, nonce="n-1").content
        == b"success"
    )
    forged = xml("text", "2", Content="伪造的消息")
    assert post_plain(client, forged, timestamp=now, nonce="n-1").status_code == 403
    assert list(Message.objects.values_list("body", flat=True)) == ["真的消息"]


def test_wechat_retrying_the_same_request_is_answered_and_stored_once(client, db):
    now, body = int(time.time()), xml("text", "1", Content="重试的消息")
    assert post_plain(client, body, timestamp=now, nonce="n-2").content == b"success"
    assert post_plain(client, body, timestamp=now, nonce="n-2").content == b"success"
    assert Message.objects.count() == 1


def test_plaintext_is_refused_once_an_aes_key_is_configured(client, db, safe_mode):
    assert post_plain(client, xml("text", Content="明文")).status_code == 403
    assert (
        post_safe(client, xml("text", Content="没有 msg_signature"), with_msg_signature=False).status_code
        == 403
    )
    assert Message.objects.count() == 0
    assert post_safe(client, xml("text", Content="安全模式")).content == b"success"


def test_a_safe_mode_body_that_decrypts_to_non_utf8_is_a_400(client, db, safe_mode):
    key = base64.b64decode(AES_KEY + "=")

    plain = b"\xff\xfe\xfd<xml>"
    body = b"r" * 16 + len(plain).to_bytes(4, "big") + plain + APP_ID.encode()
    pad = 32 - len(body) % 32
    encrypted = base64.b64encode(
        AES.new(key, AES.MODE_CBC, key[:16]).encrypt(body + bytes([pad]) * pad)
    ).decode()
    assert post_safe(client, "", encrypted=encrypted).status_code == 400


def test_seen_nonces_are_forgotten_by_the_sweep_after_the_window(client, db):

    post_plain(client, xml("text", Content="你好"))
    assert SeenNonce.objects.count() == 1
    sweep_inbound.call()
    assert SeenNonce.objects.count() == 1, "still inside the window"
    SeenNonce.objects.update(seen_at=timezone.now() - timedelta(hours=1))
    sweep_inbound.call()
    assert SeenNonce.objects.count() == 0


def test_the_access_log_of_dabai_serve_never_shows_signatures():

    path = (
        "/channels/wechat/?signature=abc&timestamp=1&nonce=xyz&openid=o1&msg_signature=def&encrypt_type=aes"
    )
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:5", "POST", path, "1.1", 200),
        None,
    )
    assert RedactQuery().filter(record)
    line = record.getMessage()
    assert "/channels/wechat/" in line
    assert "abc" not in line and "xyz" not in line and "def" not in line
    config = uvicorn_log_config()
    assert "redact_query" in config["handlers"]["access"]["filters"]


def test_payloads_keep_no_signature_in_their_meta(client, db):
    post_plain(client, xml("text", Content="你好"))
    query = InboundPayload.objects.get().meta["query"]
    assert "signature" not in query and "nonce" in query
