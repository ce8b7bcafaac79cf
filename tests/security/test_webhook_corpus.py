"""Family 3: the webhook bad-input corpus, every door × every hostile input (issue #12).

Each delivery must end in a 4xx at the door or, once the drain and its retries have run, in the customer's
words stored: never a 2xx and loss, never a 500. Totals are printed at the end of the session.
"""

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from dabai.channels.models import ImportJob, ImportStatus
from dabai.conversations.models import Direction, Message

from . import doors
from .corpus import CORPUS, MAX_PAYLOAD, OVERSIZED
from .doors import (
    CHAT_SESSION,
    EMAIL,
    IMPORTS,
    PHONE,
    SMS,
    WECHAT,
    WECHAT_AES_KEY,
    WECHAT_SAFE,
    WEIBO,
    as_json,
    call,
    deliver,
    email,
    safe_envelope,
    sms,
    wechat_query,
    wechat_xml,
    weibo_item,
)
from .tally import count


@pytest.fixture(autouse=True)
def small_payload_limit(settings):
    settings.DABAI_MAX_PAYLOAD_BYTES = MAX_PAYLOAD


@pytest.fixture
def door(db, settings, django_capture_on_commit_callbacks):
    """``door(label, url, body, …)`` delivers as the sender would and judges the outcome (see ``doors``)."""
    client = Client(raise_request_exception=False)

    def send(label, url, body, **kwargs):
        if url == WECHAT_SAFE:
            settings.DABAI_WECHAT_AES_KEY = WECHAT_AES_KEY
        return deliver(client, django_capture_on_commit_callbacks, label, url, body, **kwargs)

    return send


def assert_held(outcome) -> None:
    assert outcome.status < 500, f"{outcome.label}: {outcome.status}"
    assert not outcome.lost, f"{outcome.label}: answered {outcome.status} but {outcome.lost}"


@pytest.mark.parametrize(
    ("url", "body", "content_type", "words"), [pytest.param(*case[1:], id=case[0]) for case in CORPUS]
)
def test_hostile_input_ends_in_a_4xx_or_a_stored_message(door, request, url, body, content_type, words):
    label = request.node.callspec.id
    assert_held(door(label, url, body, words=words, content_type=content_type))


def test_the_corpus_covers_every_door_with_enough_inputs():
    doors_seen = {case[1] for case in CORPUS}
    assert doors_seen == {SMS, PHONE, WEIBO, EMAIL, WECHAT, WECHAT_SAFE}
    assert len(CORPUS) > 500
    assert len({case[0] for case in CORPUS}) == len(CORPUS), "ids name the exact input in a failure report"


# Duplicate deliveries: the sender retries after a timeout; the words are stored once.

DUPLICATES = [
    ("sms", SMS, lambda: as_json(sms(id="dup-1", text="重复的短信")), "重复的短信", "application/json"),
    (
        "phone",
        PHONE,
        lambda: as_json(call(call_id="CC-dup", transcript=[{"speaker": "customer", "text": "重复的电话"}])),
        "重复的电话",
        "application/json",
    ),
    (
        "weibo",
        WEIBO,
        lambda: as_json({"statuses": [weibo_item(id=777, text="重复的微博")]}),
        "重复的微博",
        "application/json",
    ),
    (
        "email",
        EMAIL,
        lambda: email(body="重复的邮件", message_id="<dup@example.cn>"),
        "重复的邮件",
        "message/rfc822",
    ),
    (
        "wechat",
        WECHAT,
        lambda: wechat_xml(content="重复的微信", msg_id="424242").encode(),
        "重复的微信",
        "text/xml",
    ),
]


@pytest.mark.parametrize(
    ("url", "make", "words", "content_type"), [pytest.param(*d[1:], id=d[0]) for d in DUPLICATES]
)
@pytest.mark.parametrize("times", [2, 3])
def test_duplicate_deliveries_are_stored_once(door, request, url, make, words, content_type, times):
    body = make()
    for attempt in range(times):
        assert_held(
            door(
                f"duplicate-{request.node.callspec.id}#{attempt}",
                url,
                body,
                words=words,
                content_type=content_type,
            )
        )
    assert Message.objects.filter(body__contains=words, direction=Direction.INBOUND).count() == 1


def test_a_replayed_wechat_nonce_cannot_carry_another_message(door):
    query = wechat_query(nonce="replayed-nonce")
    first = door(
        "wechat-nonce-first", WECHAT, wechat_xml(content="第一条").encode(), query=query, words="第一条"
    )
    assert_held(first)
    replay = door(
        "wechat-nonce-replayed-other-body", WECHAT, wechat_xml(content="伪造的话").encode(), query=query
    )
    assert_held(replay)
    assert 400 <= replay.status < 500
    assert not Message.objects.filter(body__contains="伪造的话").exists()


def test_a_replayed_safe_mode_nonce_cannot_carry_another_message(door):
    envelope, encrypted = safe_envelope(wechat_xml(content="安全模式第一条"))
    query = wechat_query(nonce="replayed-safe", encrypted=encrypted)
    assert_held(door("wechat-safe-nonce-first", WECHAT_SAFE, envelope, query=query, words="安全模式第一条"))
    other, other_encrypted = safe_envelope(wechat_xml(content="安全模式伪造"))
    replay_query = {
        **query,
        "msg_signature": wechat_query(nonce="replayed-safe", encrypted=other_encrypted)["msg_signature"],
    }
    replay_query["timestamp"] = query["timestamp"]
    replay = door("wechat-safe-nonce-replayed", WECHAT_SAFE, other, query=replay_query)
    assert_held(replay)
    assert not Message.objects.filter(body__contains="安全模式伪造").exists()


YEAR = 365 * 24 * 3600
STALE = [("year-old", -YEAR), ("hour-old", -3600), ("year-ahead", YEAR), ("epoch", None)]


@pytest.mark.parametrize(("age", "offset"), STALE, ids=[s[0] for s in STALE])
@pytest.mark.parametrize(
    ("url", "make", "content_type"),
    [
        pytest.param(SMS, lambda: as_json(sms(text="过期的短信")), "application/json", id="sms"),
        pytest.param(PHONE, lambda: as_json(call()), "application/json", id="phone"),
        pytest.param(WEIBO, lambda: as_json({"statuses": [weibo_item()]}), "application/json", id="weibo"),
        pytest.param(EMAIL, lambda: email(), "message/rfc822", id="email"),
    ],
)
def test_stale_signed_webhooks_are_refused(door, url, make, content_type, age, offset):
    body = make()
    timestamp = 0 if offset is None else int(time.time()) + offset
    outcome = door(
        f"stale-{url}-{age}",
        url,
        body,
        content_type=content_type,
        headers=doors.signed_headers(body, timestamp=timestamp),
    )
    assert_held(outcome)
    assert outcome.status == 401
    assert not Message.objects.exists()


@pytest.mark.parametrize(("age", "offset"), STALE, ids=[s[0] for s in STALE])
@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe-mode"])
def test_stale_wechat_callbacks_are_refused(door, age, offset, safe):
    timestamp = 0 if offset is None else int(time.time()) + offset
    if safe:
        body, encrypted = safe_envelope(wechat_xml(content="过期的微信"))
        query, url = wechat_query(timestamp=timestamp, encrypted=encrypted), WECHAT_SAFE
    else:
        body, query, url = (
            wechat_xml(content="过期的微信").encode(),
            wechat_query(timestamp=timestamp),
            WECHAT,
        )
    outcome = door(f"stale-wechat-{'safe' if safe else 'plain'}-{age}", url, body, query=query)
    assert_held(outcome)
    assert outcome.status == 403
    assert not Message.objects.exists()


BAD_SIGNATURES = {
    "none": {},
    "wrong-secret": None,  # filled per body
    "garbage": {"HTTP_X_TIMESTAMP": "abc", "HTTP_X_SIGNATURE": "zz"},
    "huge-timestamp": {"HTTP_X_TIMESTAMP": "9" * 400, "HTTP_X_SIGNATURE": "0" * 64},
    "nul-timestamp": {"HTTP_X_TIMESTAMP": "1\x00", "HTTP_X_SIGNATURE": "0" * 64},
}


@pytest.mark.parametrize("kind", list(BAD_SIGNATURES))
@pytest.mark.parametrize("url", [SMS, PHONE, WEIBO, EMAIL], ids=["sms", "phone", "weibo", "email"])
def test_unsigned_or_forged_webhooks_are_refused(door, url, kind):
    body = (
        email()
        if url == EMAIL
        else as_json(sms() if url == SMS else call() if url == PHONE else {"statuses": [weibo_item()]})
    )
    headers = BAD_SIGNATURES[kind]
    if headers is None:
        headers = doors.signed_headers(body, secret="not-the-secret")
    outcome = door(
        f"forged-{url}-{kind}",
        url,
        body,
        headers=headers,
        content_type="message/rfc822" if url == EMAIL else "application/json",
    )
    assert_held(outcome)
    assert outcome.status == 401


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"signature": "0" * 40, "timestamp": str(int(time.time())), "nonce": "x"},
        {"signature": "", "timestamp": "", "nonce": ""},
        {"signature": "x", "timestamp": "9" * 400, "nonce": "x"},
        {"signature": "x\x00", "timestamp": "1\x00", "nonce": "\x00"},
    ],
    ids=["none", "wrong", "empty", "huge-timestamp", "nul"],
)
def test_forged_wechat_callbacks_are_refused(door, query):
    outcome = door(
        f"forged-wechat-{sorted(query)}", WECHAT, wechat_xml(content="伪造的微信").encode(), query=query
    )
    assert_held(outcome)
    assert outcome.status == 403
    assert not Message.objects.exists()


# The chat session endpoint: no message travels through it, so only "never a 500" (and foreign sites refused).

CHAT_BODIES = [
    ("empty", b""),
    ("not-json", b"{not json"),
    ("deep", b"[" * 100_000 + b"]" * 100_000),
    ("list", b"[]"),
    ("visitor-number", b'{"visitor": 5}'),
    ("visitor-object", b'{"visitor": {"a": 1}}'),
    ("visitor-forged", b'{"visitor": "1:forged:signature"}'),
    ("visitor-nul", b'{"visitor": "\\u0000"}'),
    ("visitor-surrogate", b'{"visitor": "\\ud800"}'),
    ("visitor-huge", json.dumps({"visitor": "v" * 100_000}).encode()),
    ("invalid-utf8", b'{"visitor": "\xff\xfe"}'),
    ("oversized", b'{"pad": "' + b"x" * OVERSIZED + b'"}'),
]


@pytest.mark.parametrize(("name", "body"), CHAT_BODIES, ids=[b[0] for b in CHAT_BODIES])
@pytest.mark.parametrize(
    "origin",
    ["", "https://evil.test", "null", "http://testserver"],
    ids=["no-origin", "foreign", "null", "own"],
)
def test_chat_session_door_never_fails(db, name, body, origin):
    client = Client(raise_request_exception=False)
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    client.cookies["dabai_chat"] = "\x7f" * 10
    response = client.post(CHAT_SESSION, data=body, content_type="application/json", **headers)
    count(f"chat-session-{name}-{origin or 'none'}", server_error=response.status_code >= 500)
    assert response.status_code < 500
    if origin in {"https://evil.test", "null"}:
        assert response.status_code == 403
        assert "Access-Control-Allow-Origin" not in response


# The import upload (supervisors): bad rows are reported by line; every line is accounted for, none lost.

HEADER = "conversation,channel,customer,customer_name,direction,body,sent_at\n"
GOOD_ROW = "g-1,phone,13800001111,李女士,inbound,导入的话,2025-03-01T09:00:00+08:00\n"


def _jsonl(*rows) -> bytes:
    return (
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    ).encode()


GOOD = {
    "conversation": "j-1",
    "channel": "wechat",
    "customer": "openid-1",
    "direction": "inbound",
    "body": "导入的话",
    "sent_at": "2025-01-01T10:00:00+08:00",
}

IMPORT_FILES = [
    (
        "csv-impossible-date",
        "a.csv",
        (HEADER + GOOD_ROW + "b-1,sms,13900002222,,inbound,好,2026-13-45T25:61:00\n").encode(),
    ),
    (
        "csv-nul-body",
        "a.csv",
        (HEADER + GOOD_ROW + "b-2,sms,13900002222,,inbound,零\x00字节,2025-03-01T09:00:00\n").encode(),
    ),
    (
        "csv-huge-customer",
        "a.csv",
        (HEADER + GOOD_ROW + f"b-3,sms,{'9' * 400},,inbound,长号码,2025-03-01T09:00:00\n").encode(),
    ),
    (
        "csv-huge-conversation-key",
        "a.csv",
        (HEADER + GOOD_ROW + f"{'k' * 2000},sms,13900002222,,inbound,长键,2025-03-01T09:00:00\n").encode(),
    ),
    (
        "csv-huge-name",
        "a.csv",
        (
            HEADER + GOOD_ROW + f"b-4,sms,13900002222,{'名' * 2000},inbound,长名字,2025-03-01T09:00:00\n"
        ).encode(),
    ),
    ("csv-missing-columns", "a.csv", b"conversation,body\nx,y\n" + GOOD_ROW.encode()),
    (
        "csv-latin1",
        "a.csv",
        (HEADER + "b-5,sms,13900002222,,inbound,café,2025-03-01T09:00:00\n").encode("latin-1")
        + GOOD_ROW.encode(),
    ),
    ("csv-utf16", "a.csv", (HEADER + GOOD_ROW).encode("utf-16")),
    (
        "csv-year-10000",
        "a.csv",
        (HEADER + GOOD_ROW + "b-6,sms,13900002222,,inbound,好,10000-01-01T00:00:00\n").encode(),
    ),
    (
        "csv-year-1",
        "a.csv",
        (HEADER + GOOD_ROW + "b-7,sms,13900002222,,inbound,好,0001-01-01T00:00:00+14:00\n").encode(),
    ),
    (
        "csv-formula",
        "a.csv",
        (
            HEADER + GOOD_ROW + "b-8,sms,13900002222,=cmd|' /C calc'!A0,inbound,=1+1,2025-03-01T09:00:00\n"
        ).encode(),
    ),
    (
        "csv-unclosed-quote",
        "a.csv",
        (HEADER + GOOD_ROW + 'b-9,sms,13900002222,,inbound,"never closed,2025-03-01T09:00:00\n').encode(),
    ),
    (
        "csv-huge-field",
        "a.csv",
        (
            HEADER + GOOD_ROW + f"b-10,sms,13900002222,,inbound,{'长' * 200_000},2025-03-01T09:00:00\n"
        ).encode(),
    ),
    (
        "csv-bad-status",
        "a.csv",
        (
            HEADER.rstrip()
            + ",status\n"
            + "b-11,sms,13900002222,,inbound,好,2025-03-01T09:00:00,exploded\n"
            + GOOD_ROW
        ).encode(),
    ),
    (
        "jsonl-wrong-types",
        "a.jsonl",
        _jsonl(
            GOOD,
            {**GOOD, "conversation": "j-2", "body": {"a": 1}, "sent_at": 5},
            {**GOOD, "channel": ["wechat"]},
        ),
    ),
    (
        "jsonl-lone-surrogate",
        "a.jsonl",
        _jsonl(
            GOOD,
            '{"conversation": "j-3", "channel": "wechat", "customer": "o", "direction": "in", '
            '"body": "\\ud800", "sent_at": "2025-01-01T10:00:00"}',
        ),
    ),
    (
        "jsonl-nul",
        "a.jsonl",
        _jsonl(GOOD, {**GOOD, "conversation": "j-4", "body": "零\x00字节", "customer": "o\x00"}),
    ),
    (
        "jsonl-huge-numbers",
        "a.jsonl",
        _jsonl(
            GOOD,
            '{"conversation": 1e400, "channel": "sms", "customer": '
            + "9" * 400
            + ', "direction": "in", "body": 1e400, "sent_at": "2025-01-01T10:00:00"}',
        ),
    ),
    ("jsonl-deep", "a.jsonl", _jsonl(GOOD, "[" * 100_000 + "]" * 100_000)),
    ("jsonl-not-objects", "a.jsonl", _jsonl(GOOD, "[]", "5", "null", '"text"', "{broken")),
    (
        "jsonl-impossible-date",
        "a.jsonl",
        _jsonl(GOOD, {**GOOD, "conversation": "j-5", "sent_at": "2026-13-45T25:61:00"}),
    ),
    (
        "jsonl-offset-overflow",
        "a.jsonl",
        _jsonl(GOOD, {**GOOD, "conversation": "j-6", "sent_at": "9999-12-31T23:59:59-23:59"}),
    ),
    ("traversal-name", "../../../../tmp/evil.csv", (HEADER + GOOD_ROW).encode()),
    ("nul-name", "a\x00.csv", (HEADER + GOOD_ROW).encode()),
    ("long-name", "长" * 300 + ".csv", (HEADER + GOOD_ROW).encode()),
    ("wrong-extension", "evil.html", b"<script>alert(1)</script>"),
    ("empty-file", "a.csv", b""),
    ("binary", "a.jsonl", bytes(range(256)) * 8),
]


UNREADABLE_GOOD_ROW = {"csv-missing-columns", "csv-utf16"}  # the good row is not under a usable header


@pytest.mark.parametrize(("name", "filename", "content"), IMPORT_FILES, ids=[f[0] for f in IMPORT_FILES])
def test_import_upload_accounts_for_every_line(
    db, supervisor, django_capture_on_commit_callbacks, name, filename, content
):
    client = Client(raise_request_exception=False)
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORTS, {"file": SimpleUploadedFile(filename, content)})
    doors.drain(django_capture_on_commit_callbacks)
    lost = ""
    job = ImportJob.objects.first()
    if response.status_code == 302:
        failed = list(
            DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).values_list(
                "task_path", "exception_class_path"
            )
        )
        if job is None or job.status != ImportStatus.DONE or failed:
            lost = f"job {job and job.status}, failed tasks {failed}"
        elif job.imported + job.duplicates + len(job.errors) != job.total_lines:
            lost = f"{job.total_lines} lines, {job.imported} imported, {len(job.errors)} reported"
        elif (
            name not in UNREADABLE_GOOD_ROW
            and "导入的话" in content.decode("utf-8", "ignore")
            and not Message.objects.filter(body="导入的话").exists()
        ):
            lost = "the good row was not imported"
    elif response.status_code == 200:
        assert job is None, "a refused upload starts no import"
    count(f"import-{name}", server_error=response.status_code >= 500, lost=bool(lost))
    assert response.status_code < 500
    assert not lost, lost
