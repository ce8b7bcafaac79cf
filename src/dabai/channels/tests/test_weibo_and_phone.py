"""Weibo in the API's JSON shape (export, webhook, poller) and hotline calls with ASR transcripts."""

import json
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult

from dabai.channels import weibo
from dabai.channels.drain import DRAIN_BATCH, accept_payload, drain_batch
from dabai.channels.models import CallRecord, InboundPayload, MailboxState, PayloadStatus
from dabai.channels.tasks import poll_weibo
from dabai.conversations.models import Conversation, DeliveryStatus, Insight, Message
from dabai.conversations.services import post_reply
from dabai.testing import run_queued_tasks

from .conftest import drain

USER = {"id": 1404376560, "idstr": "1404376560", "screen_name": "小王爱吃瓜"}
EXPORT = {
    "statuses": [
        {
            "id": 4911,
            "created_at": "Wed Nov 25 09:00:00 +0800 2026",
            "text": "@大白客服 退款一周了还没到账",
            "user": USER,
        }
    ],
    "comments": [
        {
            "id": 5001,
            "created_at": "Wed Nov 25 09:05:00 +0800 2026",
            "text": "同问，客服电话打不通",
            "user": {"id": 2001, "screen_name": "路人甲"},
            "status": {"id": 4800, "text": "大白新品发布"},
        }
    ],
    "direct_messages": [
        {
            "id": 7001,
            "created_at": "Wed Nov 25 09:10:00 +0800 2026",
            "text": "订单号 20261101",
            "sender": USER,
        }
    ],
}


def test_export_items_are_stored_public_or_private_under_one_customer_per_uid(client_for, supervisor):
    upload = SimpleUploadedFile("weibo.json", json.dumps(EXPORT, ensure_ascii=False).encode())
    response = client_for(supervisor).post("/channels/weibo/upload/", {"file": upload})
    drain()

    assert response.status_code == 200
    assert Message.objects.count() == 3
    mention = Message.objects.get(external_id="mention:4911")
    assert mention.conversation.is_public
    assert mention.sent_at == datetime.fromisoformat("2026-11-25T09:00:00+08:00")
    assert not Message.objects.get(external_id="dm:7001").conversation.is_public
    assert Conversation.objects.filter(customer__identities__external_id="1404376560").count() == 2

    upload = SimpleUploadedFile("weibo.json", json.dumps(EXPORT, ensure_ascii=False).encode())
    client_for(supervisor).post("/channels/weibo/upload/", {"file": upload})
    drain()
    assert Message.objects.count() == 3


@pytest.fixture
def push(post_signed, commit):
    """The bridge pushes a batch; the drain it asked for runs, as the worker would run it."""

    def post(data) -> object:
        with commit():
            response = post_signed("/channels/weibo/inbound/", json.dumps(data, ensure_ascii=False).encode())
        for _ in range(5):
            with commit():
                if not run_queued_tasks():
                    break
        return response

    return post


def test_a_bad_item_in_a_webhook_batch_is_rejected_and_the_rest_stored(push, db):
    batch = {"comments": [{"text": "没有 id 和用户"}, EXPORT["comments"][0]]}
    response = push(batch)

    assert response.status_code == 202
    assert response.json()["accepted"] == 1 and response.json()["rejected"] == 1
    assert InboundPayload.objects.filter(status=PayloadStatus.REJECTED).count() == 1
    assert Message.objects.get().body == "同问，客服电话打不通"


def bulk_push(count: int, first_id: int = 10_000) -> dict:
    return {
        "statuses": [
            {"id": first_id + i, "text": f"第{i}条：退款没到账", "user": {"id": 50_000 + i % 40}}
            for i in range(count)
        ]
    }


def test_a_bulk_push_is_acknowledged_at_once_and_drained_in_batches(post_signed, db, commit):

    with commit():
        response = post_signed("/channels/weibo/inbound/", json.dumps(bulk_push(600)).encode())
    assert response.status_code == 202 and response.json()["accepted"] == 600
    assert Message.objects.count() == 0, "nothing is stored inside the request"
    for _ in range(20):
        with commit():
            if not run_queued_tasks():
                break
    assert Message.objects.count() == 600
    assert Insight.objects.count() == 600, "read in the drain's batches"
    assert DBTaskResult.objects.filter(task_path__endswith="analyse_messages").count() <= 600 // 50
    assert Conversation.objects.count() == 40, "one public thread per author, even within a batch"
    assert not InboundPayload.objects.exclude(status=PayloadStatus.PROCESSED).exists()


def test_an_sms_arriving_during_a_bulk_weibo_drain_goes_in_the_next_batch(post_signed, db):

    accept_payload("weibo", "push", json.dumps(bulk_push(1000)).encode())
    drain_batch(DRAIN_BATCH)  # the push is split into its items
    accept_payload(
        "sms", "webhook", json.dumps({"from": "13900001111", "text": "我在排队吗", "id": "sms-1"}).encode()
    )
    drain_batch(DRAIN_BATCH)
    assert Message.objects.filter(channel="sms").exists()
    assert Message.objects.filter(channel="weibo").count() < 1000


def test_a_push_that_is_not_in_the_weibo_shape_is_a_400(post_signed, db):
    for body in (b'{"comments": 5}', b'{"statuses": {"id": 1}}', b"[1, 2]", b"5", b"[" * 50_000):
        response = post_signed("/channels/weibo/inbound/", body)
        assert response.status_code == 400, body[:20]
    assert Message.objects.count() == 0


def test_pluggable_poller_reads_each_kind_from_its_high_water_mark(db, stand_in):
    pages = {"/2/statuses/mentions.json": {"statuses": EXPORT["statuses"]}, "/2/comments/to_me.json": {}}
    pages["/2/direct_messages.json"] = {"direct_messages": EXPORT["direct_messages"]}
    for path, page in pages.items():
        stand_in.routes[path] = lambda r, page=page: (200, page)
    client = weibo.HttpWeiboApi(stand_in.url, "weibo-token")

    marks = weibo.poll(client, {})
    assert marks == {"mention": "4911", "dm": "7001"}
    marks = weibo.poll(client, marks)
    drain()
    assert Message.objects.count() == 2
    assert "since_id=4911" in stand_in.calls("/2/statuses/mentions.json")[-1].query


@pytest.fixture
def weibo_api(stand_in, settings):
    settings.DABAI_WEIBO_API_BASE = stand_in.url
    stand_in.routes["/2/comments/reply.json"] = lambda r: (200, {"idstr": "c-1"})
    stand_in.routes["/2/direct_messages/new.json"] = lambda r: (200, {"idstr": "dm-1"})
    return stand_in


def test_reply_to_a_public_post_is_a_short_public_note_plus_a_private_message(
    push, db, agent, weibo_api, commit
):
    push({"comments": EXPORT["comments"]})
    with commit():
        reply = post_reply(Conversation.objects.get(), agent, "您好，请把手机号私信给我们，我们马上查询。")
    run_queued_tasks()

    public = [
        dict(p.split("=", 1) for p in r.body.decode().split("&"))
        for r in weibo_api.calls("/2/comments/reply.json")
    ]
    assert len(public) == 1 and public[0]["cid"] == "5001" and public[0]["id"] == "4800"
    private = weibo_api.calls("/2/direct_messages/new.json")
    assert len(private) == 1 and "uid=2001" in private[0].body.decode()
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT


def test_reply_to_a_private_message_stays_private(push, db, agent, weibo_api, commit):
    push({"direct_messages": EXPORT["direct_messages"]})
    with commit():
        post_reply(Conversation.objects.get(), agent, "收到")
    run_queued_tasks()
    assert weibo_api.calls("/2/comments/reply.json") == []
    assert len(weibo_api.calls("/2/direct_messages/new.json")) == 1


CALL = {
    "call_id": "CC-20261125-0001",
    "caller": "+86 138 0013 8000",
    "started_at": "2026-11-25T10:00:00+08:00",
    "duration": 185,
    "agent": "agent",
    "recording_url": "https://recordings.example/CC-20261125-0001.mp3",
    "transcript": [
        {"speaker": "agent", "text": "您好，大白客服，请问有什么可以帮您？", "start": 0},
        {"speaker": "customer", "text": "我的宽带断了两天了", "start": 3.5},
        {"speaker": "customer", "text": "再不修我就投诉", "start": 9},
    ],
}
TEXT_CALL = """call_id: CC-20261125-0002
caller: 13800138000
duration: 60
[00:00] 坐席: 您好
[00:02] 客户: 我还是上次宽带的问题
[00:07] 客户: 师傅什么时候上门
"""


def test_json_call_record_is_stored_with_transcript_and_agent(post_signed, db, agent):
    response = post_signed("/channels/phone/inbound/", json.dumps(CALL, ensure_ascii=False).encode())
    drain()

    assert response.status_code == 202
    record = CallRecord.objects.get()
    assert record.duration_seconds == 185 and record.agent == agent
    assert record.transcript[1] == {"speaker": "customer", "text": "我的宽带断了两天了", "start": 3.5}
    assert record.message.body == "我的宽带断了两天了\n再不修我就投诉"
    assert post_signed("/channels/phone/inbound/", json.dumps(CALL).encode()).status_code == 202
    drain()
    assert CallRecord.objects.count() == 1


def test_plain_text_transcript_joins_the_same_callers_history(post_signed, db):
    post_signed("/channels/phone/inbound/", json.dumps(CALL).encode())
    response = post_signed("/channels/phone/inbound/", TEXT_CALL.encode(), content_type="text/plain")
    drain()

    assert response.status_code == 202
    record = CallRecord.objects.get(call_id="CC-20261125-0002")
    assert [t["speaker"] for t in record.transcript] == ["agent", "customer", "customer"]
    assert record.transcript[2]["start"] == 7
    assert CallRecord.objects.values("message__conversation__customer").distinct().count() == 1


def test_garbled_transcript_is_refused_with_the_line_number(post_signed, db):
    response = post_signed(
        "/channels/phone/inbound/", b"call_id: x\ncaller: 1380\nthis is not a turn", content_type="text/plain"
    )
    assert response.status_code == 400 and "line 3" in response.json()["error"]


def test_agent_logs_a_call_from_the_desk(client_for, agent):
    response = client_for(agent).post(
        "/channels/phone/log/",
        {
            "caller": "13800138000",
            "started_at": "2026-11-25 11:00",
            "duration_seconds": 120,
            "summary": "客户询问发票",
        },
    )
    record = CallRecord.objects.get()
    assert response.status_code == 302 and response.url == f"/inbox/{record.message.conversation_id}/"
    assert record.agent == agent and record.message.body == "客户询问发票"


def test_only_desk_users_may_log_calls(client_for, customer_user):
    assert client_for(customer_user).get("/channels/phone/log/").status_code == 403


def test_poll_task_keeps_its_high_water_marks_between_runs(db, stand_in, settings):

    settings.DABAI_WEIBO_API_BASE = stand_in.url
    settings.DABAI_WEIBO_ACCESS_TOKEN = "weibo-token"
    stand_in.routes["/2/statuses/mentions.json"] = lambda r: (200, {"statuses": EXPORT["statuses"]})
    stand_in.routes["/2/comments/to_me.json"] = lambda r: (200, {"comments": EXPORT["comments"]})
    stand_in.routes["/2/direct_messages.json"] = lambda r: (200, {"direct_messages": []})

    poll_weibo.enqueue()
    run_queued_tasks()
    run_queued_tasks(include_future=True)
    drain()

    assert Message.objects.count() == 2
    assert MailboxState.objects.get(name="weibo:comment").last_uid == 5001
    assert "since_id=5001" in stand_in.calls("/2/comments/to_me.json")[-1].query


def test_a_call_logged_at_the_desk_is_stored_raw_as_the_desk_form(client_for, agent):
    client_for(agent).post(
        "/channels/phone/log/",
        {
            "caller": "13800138000",
            "started_at": "2026-11-25 11:00",
            "duration_seconds": 60,
            "summary": "催发票",
        },
    )
    payload = InboundPayload.objects.get()
    assert (payload.channel, payload.source, payload.status) == ("phone", "desk", PayloadStatus.PROCESSED)
    assert payload.meta == {"agent_id": agent.pk}
    assert json.loads(bytes(payload.raw))["summary"] == "催发票"
    assert payload.message.call.agent == agent
