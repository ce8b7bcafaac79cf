"""SMS through the generic gateway: HMAC-signed webhook in, 70-character segments out, 退订 respected."""

import json

import pytest

from dabai.channels import sms
from dabai.channels.models import InboundPayload, PayloadStatus, Subscription
from dabai.conversations.models import Conversation, DeliveryStatus, Insight, Message
from dabai.conversations.services import post_reply
from dabai.testing import run_queued_tasks

URL = "/channels/sms/inbound/"


def sms_json(text: str, sms_id: str = "gw-1", sender: str = "+86 139 0000 1111") -> bytes:
    return json.dumps(
        {"from": sender, "to": "10690000", "text": text, "id": sms_id}, ensure_ascii=False
    ).encode()


@pytest.fixture
def deliver(post_signed, commit):
    """The gateway posts one SMS; the drain the webhook asked for runs, as the worker would run it."""

    def post(body: bytes):
        with commit():
            response = post_signed(URL, body)
        run_queued_tasks()
        return response

    return post


def test_signed_sms_is_acknowledged_at_once_then_stored_once_per_number(post_signed, commit, db):
    with commit():
        first = post_signed(URL, sms_json("话费多扣了50元"))
        assert post_signed(URL, sms_json("话费多扣了50元")).status_code == 202
        post_signed(URL, sms_json("怎么还没退", "gw-2", sender="13900001111"))
    assert first.status_code == 202 and first.json()["status"] == "accepted"
    assert InboundPayload.objects.filter(status=PayloadStatus.RECEIVED).count() == 3
    assert Message.objects.count() == 0, "acknowledged before processing"
    assert run_queued_tasks() == 1, "one drain for the whole burst"

    assert Message.objects.count() == 2
    assert Insight.objects.count() == 2, "the drain has the filter read what it stored"
    conversation = Conversation.objects.get()
    assert conversation.customer.identities.get().external_id == "13900001111"


def test_bad_sms_webhooks_get_4xx_and_do_not_block_the_next(client, post_signed, deliver, db):
    assert client.post(URL, data=sms_json("x"), content_type="application/json").status_code == 401
    response = post_signed(URL, b'{"from": "139"}')
    assert response.status_code == 400 and "from, text and id" in response.json()["error"]
    assert post_signed(URL, b"not json").status_code == 400
    assert deliver(sms_json("好的")).status_code == 202
    assert Message.objects.count() == 1
    rejected = InboundPayload.objects.filter(status=PayloadStatus.REJECTED)
    assert [bytes(p.raw) for p in rejected.order_by("pk")] == [b'{"from": "139"}', b"not json"]


@pytest.mark.parametrize("word", ["退订", "TD", " td "])
def test_unsubscribe_words_stop_further_sms(deliver, db, agent, settings, stand_in, word, commit):
    settings.DABAI_SMS_GATEWAY_URL = f"{stand_in.url}/send"
    deliver(sms_json(word))
    assert not Subscription.objects.get(channel="sms", external_id="13900001111").subscribed

    with commit():
        reply = post_reply(Conversation.objects.get(), agent, "您好")
    run_queued_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "退订" in reply.delivery.last_error
    assert stand_in.requests == []


def test_long_reply_goes_out_in_70_character_signed_segments(deliver, db, agent, settings, stand_in, commit):
    settings.DABAI_SMS_GATEWAY_URL = f"{stand_in.url}/send"
    settings.DABAI_SMS_GATEWAY_KEY = "gateway-key"
    stand_in.routes["/send"] = lambda r: (200, {"id": f"out-{len(stand_in.requests)}"})
    deliver(sms_json("退款什么时候到账？"))
    text = "您好，" + "退款将原路退回，" * 20
    with commit():
        reply = post_reply(Conversation.objects.get(), agent, text)
    run_queued_tasks()

    sent = [r.json() for r in stand_in.calls("/send")]
    assert [len(s["text"]) for s in sent] == [70, 70, 23]
    assert "".join(s["text"] for s in sent) == text
    assert {s["to"] for s in sent} == {"13900001111"}
    request = stand_in.calls("/send")[0]
    assert request.headers["X-Signature"] == sms.sign(
        "gateway-key", request.headers["X-Timestamp"], request.body
    )
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    assert reply.delivery.provider_id == "out-1,out-2,out-3"


def test_gateway_outage_is_retried_until_it_recovers(deliver, db, agent, settings, stand_in, commit):
    settings.DABAI_SMS_GATEWAY_URL = f"{stand_in.url}/send"
    outage = {"on": True}
    stand_in.routes["/send"] = lambda r: (503, {"error": "busy"}) if outage["on"] else (200, {"id": "ok-1"})
    deliver(sms_json("在吗"))
    with commit():
        reply = post_reply(Conversation.objects.get(), agent, "在的")
    run_queued_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.QUEUED

    outage["on"] = False
    run_queued_tasks(include_future=True)
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    assert reply.delivery.attempts == 2


def test_segments_and_phone_numbers():
    assert sms.segments("短" * 140) == ["短" * 70, "短" * 70]
    assert sms.normalise_phone("+86 139-0000-1111") == sms.normalise_phone("13900001111") == "13900001111"


def test_retry_after_a_failure_half_way_does_not_resend_delivered_segments(
    deliver, db, agent, settings, stand_in, commit
):
    settings.DABAI_SMS_GATEWAY_URL = f"{stand_in.url}/send"
    state = {"calls": 0}

    def flaky(request):
        state["calls"] += 1
        return (503, {"error": "busy"}) if state["calls"] == 2 else (200, {"id": f"s{state['calls']}"})

    stand_in.routes["/send"] = flaky
    deliver(sms_json("在吗"))
    with commit():
        reply = post_reply(Conversation.objects.get(), agent, "长" * 140)
    run_queued_tasks()
    run_queued_tasks(include_future=True)

    texts = [r.json()["text"] for r in stand_in.calls("/send")]
    assert texts == ["长" * 70, "长" * 70, "长" * 70], "segment 1 once, segment 2 failed once then sent"
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT and reply.delivery.provider_id == "s1,s3"
