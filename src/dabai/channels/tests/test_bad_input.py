"""The webhook bad-input corpus of the outside probe (issue #12), replayed against every inbound door.

Each input ends in a 4xx at the door or in a stored message once the drain and its retries have run: never a
2xx and then nothing, never a 500. A customer's words are never dropped because some other field is bad.
"""

import base64
import json
import time
import urllib.parse
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dabai.channels import wechat
from dabai.channels.models import Attachment, CallRecord, InboundPayload, PayloadStatus
from dabai.conversations.models import Conversation, Message
from dabai.customers.models import Customer
from dabai.testing import run_queued_tasks

from .conftest import signed_headers

SMS, PHONE, WEIBO, EMAIL, WECHAT = (
    "/channels/sms/inbound/",
    "/channels/phone/inbound/",
    "/channels/weibo/inbound/",
    "/channels/email/inbound/",
    "/channels/wechat/",
)
TOKEN = "probetoken"
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture(autouse=True)
def wechat_plaintext(settings):
    settings.DABAI_WECHAT_TOKEN = TOKEN
    settings.DABAI_WECHAT_APP_ID = "wxprobe"
    settings.DABAI_WECHAT_AES_KEY = ""


@pytest.fixture
def deliver(client, commit):
    """Post a signed request as the sender would, then let the worker run everything, retries included."""
    client.raise_request_exception = False

    def post(url: str, body: bytes, content_type: str = "application/json"):
        with commit():
            if url == WECHAT:
                response = client.post(_wechat_url(), data=body, content_type="text/xml")
            else:
                response = client.post(url, data=body, content_type=content_type, **signed_headers(body))
        for _ in range(8):
            with commit():
                if not run_queued_tasks(include_future=True):
                    break
        return response

    return post


def _wechat_url() -> str:
    timestamp, nonce = str(int(time.time())), base64.b16encode(str(time.perf_counter_ns()).encode()).decode()
    signature = wechat.signature(TOKEN, timestamp, nonce)
    return "/channels/wechat/?" + urllib.parse.urlencode(
        {"signature": signature, "timestamp": timestamp, "nonce": nonce}
    )


def assert_door_held(response, words: str | None) -> None:
    """4xx and nothing half-done, or 2xx and the customer's words stored; nothing left failed."""
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        return
    assert not InboundPayload.objects.filter(status__in=[PayloadStatus.FAILED, "dead"]).exists(), list(
        InboundPayload.objects.values_list("status", "error")
    )
    if words is not None:
        assert Message.objects.filter(body__contains=words).exists(), list(
            Message.objects.values_list("body", flat=True)
        )


def sms(**fields) -> bytes:
    return json.dumps({"from": "13900001111", "text": "短信内容还在", "id": "probe-1", **fields}).encode()


def call(**fields) -> bytes:
    record = {
        "call_id": "CC-probe",
        "caller": "13800138000",
        "transcript": [{"speaker": "customer", "text": "电话里说的话"}],
        **fields,
    }
    return json.dumps(record).encode()


def wechat_xml(create_time: str = "1764034200", declaration: str = "", content: str = "微信里说的话") -> str:
    return (
        f"{declaration}<xml><ToUserName>gh</ToUserName><FromUserName>oProbe</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType>text</MsgType>"
        f"<Content>{content}</Content><MsgId>99</MsgId></xml>"
    )


def weibo(**fields) -> bytes:
    item = {"id": 4911, "text": "微博上说的话", "user": {"id": 1404, "screen_name": "小王"}, **fields}
    return json.dumps({"statuses": [item]}).encode()


def email_with_attachment(filename_header: str) -> bytes:
    mime = MIMEMultipart()
    mime["From"] = "li@example.cn"
    mime["Subject"] = "附件"
    mime["Message-ID"] = "<attach-probe@example.cn>"
    mime.attach(MIMEText("邮件里说的话，见附件", "plain", "utf-8"))
    attachment = MIMEApplication(b"data")
    attachment["Content-Disposition"] = filename_header
    mime.attach(attachment)
    return mime.as_bytes()


def deep_multipart(depth: int = 2000) -> bytes:
    head = "From: li@example.cn\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth)
    )
    closing = "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    return (head + opening + "Content-Type: text/plain\r\n\r\n深处的话\r\n" + closing).encode()


CORPUS = [
    # (id, door, body, content type, the customer's words that must be stored if answered 2xx)
    ("sms-year-10000", SMS, sms(timestamp=253402300800), None, "短信内容还在"),
    ("sms-1e400", SMS, sms().replace(b"}", b', "timestamp": 1e400}'), None, "短信内容还在"),
    ("sms-nan", SMS, sms().replace(b"}", b', "timestamp": NaN}'), None, "短信内容还在"),
    ("sms-negative", SMS, sms(timestamp=-(10**20)), None, "短信内容还在"),
    ("sms-word-timestamp", SMS, sms(timestamp="yesterday"), None, "短信内容还在"),
    ("sms-number-text", SMS, sms(text=12345), None, "12345"),
    ("sms-nul-text", SMS, sms(text="零\u0000字节"), None, "零"),
    ("sms-lone-surrogate", SMS, sms().replace("还在".encode(), b"\\ud800"), None, "短信内容"),
    ("sms-deep-json", SMS, DEEP_JSON, None, None),
    ("sms-object-text", SMS, sms(text={"a": 1}), None, None),
    ("phone-duration-1e999", PHONE, call(duration="1e999"), None, "电话里说的话"),
    ("phone-duration-list", PHONE, call(duration=[1]), None, "电话里说的话"),
    ("phone-impossible-start", PHONE, call(started_at="2026-13-45T25:61:00"), None, "电话里说的话"),
    ("phone-numeric-start", PHONE, call(started_at=12345), None, "电话里说的话"),
    ("phone-number-text", PHONE, call(transcript=[{"speaker": "customer", "text": 12345}]), None, "12345"),
    (
        "phone-string-turn",
        PHONE,
        call(transcript=["客户: 一整句话", {"speaker": "customer", "text": "好"}]),
        None,
        "好",
    ),
    ("phone-transcript-string", PHONE, call(transcript="客户说了一句"), None, None),
    (
        "phone-infinite-start",
        PHONE,
        call(transcript=[{"speaker": "customer", "text": "哎", "start": "1e999"}]),
        None,
        "哎",
    ),
    ("phone-deep-json", PHONE, DEEP_JSON, None, None),
    ("wechat-createtime-abc", WECHAT, wechat_xml("abc").encode(), None, "微信里说的话"),
    ("wechat-createtime-huge", WECHAT, wechat_xml("99999999999999").encode(), None, "微信里说的话"),
    (
        "wechat-gbk",
        WECHAT,
        wechat_xml(declaration='<?xml version="1.0" encoding="GBK"?>', content="国标编码的话").encode("gbk"),
        None,
        "国标编码的话",
    ),
    (
        "wechat-shift-jis",
        WECHAT,
        wechat_xml(declaration="<?xml version='1.0' encoding='Shift_JIS'?>", content="日本語の話").encode(
            "shift_jis"
        ),
        None,
        "日本語の話",
    ),
    (
        "wechat-unknown-encoding",
        WECHAT,
        wechat_xml(declaration='<?xml version="1.0" encoding="x-nope"?>').encode(),
        None,
        None,
    ),
    ("weibo-comments-5", WEIBO, b'{"comments": 5}', None, None),
    ("weibo-deep-json", WEIBO, DEEP_JSON, None, None),
    ("weibo-numeric-created-at", WEIBO, weibo(created_at=12345), None, "微博上说的话"),
    ("weibo-status-5", WEIBO, weibo(status=5), None, "微博上说的话"),
    ("weibo-number-text", WEIBO, weibo(text=12345), None, "12345"),
    ("weibo-number-screen-name", WEIBO, weibo(user={"id": 7, "screen_name": 7}), None, "微博上说的话"),
    ("weibo-user-list", WEIBO, weibo(user=[1, 2]), None, None),
    (
        "email-dotdot",
        EMAIL,
        email_with_attachment('attachment; filename="../x"'),
        "message/rfc822",
        "邮件里说的话",
    ),
    (
        "email-absolute",
        EMAIL,
        email_with_attachment('attachment; filename="/etc/passwd"'),
        "message/rfc822",
        "邮件里说的话",
    ),
    (
        "email-rfc2231",
        EMAIL,
        email_with_attachment("attachment; filename*=utf-8''..%2F..%2Fevil.txt"),
        "message/rfc822",
        "邮件里说的话",
    ),
    ("email-deep-multipart", EMAIL, deep_multipart(), "message/rfc822", None),
]


@pytest.mark.parametrize(
    ("door", "body", "content_type", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CORPUS],
)
def test_probe_input_ends_in_a_4xx_or_a_stored_message(deliver, db, door, body, content_type, words):
    response = deliver(door, body, content_type or "application/json")
    assert_door_held(response, words)


@pytest.mark.parametrize(
    ("door", "body"),
    [
        pytest.param(SMS, sms(timestamp=253402300800), id="sms"),
        pytest.param(PHONE, call(duration="1e999", started_at="2026-13-45T25:61:00"), id="phone"),
        pytest.param(WECHAT, wechat_xml("99999999999999").encode(), id="wechat"),
        pytest.param(WEIBO, weibo(created_at=12345), id="weibo"),
    ],
)
def test_the_words_behind_a_bad_field_are_stored_not_refused(deliver, db, door, body):
    """These are real messages with one bad field: they must be stored, not answered 4xx."""
    response = deliver(door, body)
    assert response.status_code in {200, 202}
    message = Message.objects.get(direction="inbound")
    assert abs(message.sent_at.year - time.gmtime().tm_year) <= 1, "impossible dates are dropped, not kept"


def test_bad_call_fields_are_coerced_on_the_call_record(deliver, db):
    deliver(PHONE, call(duration="1e999", transcript=[{"speaker": "customer", "text": 12345, "start": "x"}]))
    record = CallRecord.objects.get()
    assert record.duration_seconds == 0
    assert record.transcript == [{"speaker": "customer", "text": "12345", "start": None}]
    assert record.message.body == "12345"


@pytest.mark.parametrize(
    ("header", "stored_name"),
    [
        ('attachment; filename="../x"', "x"),
        ('attachment; filename="/etc/passwd"', "passwd"),
        ("attachment; filename*=utf-8''..%2F..%2Fevil.txt", "evil.txt"),
        ('attachment; filename="..\\\\..\\\\boot.ini"', "boot.ini"),
        ('attachment; filename=".."', "attachment"),
    ],
)
def test_attachment_names_are_reduced_to_their_base_name(deliver, db, settings, header, stored_name):
    response = deliver(EMAIL, email_with_attachment(header), "message/rfc822")
    assert response.status_code == 202
    attachment = Attachment.objects.get()
    assert attachment.filename == stored_name
    path = attachment.file.path
    assert path.startswith(str(settings.MEDIA_ROOT)) and ".." not in attachment.file.name


def test_a_deep_multipart_is_refused_at_the_door(deliver, db):
    response = deliver(EMAIL, deep_multipart(), "message/rfc822")
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_thousands_of_extra_fields_are_not_copied_into_the_message(deliver, db):
    extras = {f"x{i}": "v" * 20 for i in range(20_000)}
    response = deliver(SMS, sms(**extras))
    assert response.status_code == 202
    message = Message.objects.get()
    assert message.body == "短信内容还在"
    assert message.raw_payload["id"] == "probe-1" and message.raw_payload["from"] == "13900001111"
    assert len(json.dumps(message.raw_payload)) < 20_000
    assert message.raw_payload["dropped_fields"] > 19_000


def test_extra_fields_of_a_weibo_item_are_capped_too(deliver, db):
    response = deliver(WEIBO, weibo(**{f"x{i}": i for i in range(20_000)}))
    assert response.status_code == 202
    assert len(json.dumps(Message.objects.get().raw_payload)) < 20_000


# A bounded fuzz of the JSON doors: any JSON value in any field. Each example starts from an empty inbox.

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
texts = st.text(min_size=1, max_size=40)


def either(plausible):
    return st.one_of(plausible, json_values)


def _fresh_inbox() -> None:
    InboundPayload.objects.all().delete()
    Conversation.objects.all().delete()
    Customer.objects.all().delete()


def _expected_words(value) -> str | None:
    """What a well-meant text field must come back as (None: no promise for this shape)."""
    if isinstance(value, str):
        cleaned = value.replace("\x00", "").strip()
        return cleaned if cleaned and cleaned.isprintable() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


FUZZ = hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    sender=either(st.sampled_from(["13900001111", "+86 139 0000 2222"])),
    text=either(texts),
    sms_id=either(st.uuids().map(str)),
    timestamp=json_values,
)
def test_fuzzed_sms_is_refused_or_stored(deliver, db, sender, text, sms_id, timestamp):
    _fresh_inbox()
    body = json.dumps({"from": sender, "text": text, "id": sms_id, "timestamp": timestamp}).encode()
    response = deliver(SMS, body)
    assert_door_held(response, _expected_words(text))
    if response.status_code < 300:
        assert InboundPayload.objects.get().message_id is not None


@FUZZ
@given(
    call_id=either(st.uuids().map(str)),
    caller=either(st.just("13800138000")),
    duration=json_values,
    started_at=either(st.datetimes().map(lambda d: d.isoformat())),
    turn_text=either(texts),
    start=json_values,
    extra=json_values,
)
def test_fuzzed_call_record_is_refused_or_stored(
    deliver, db, call_id, caller, duration, started_at, turn_text, start, extra
):
    _fresh_inbox()
    record = {
        "call_id": call_id,
        "caller": caller,
        "duration": duration,
        "started_at": started_at,
        "transcript": [{"speaker": "customer", "text": turn_text, "start": start}],
        "agent": extra,
        "recording_url": extra,
        "summary": extra,
    }
    response = deliver(PHONE, json.dumps(record).encode())
    assert_door_held(response, _expected_words(turn_text))
    if response.status_code < 300:
        assert InboundPayload.objects.get().message_id is not None


@FUZZ
@given(
    item_id=either(st.integers(min_value=1, max_value=10**15)),
    text=either(texts),
    created_at=either(st.just("Wed Nov 25 09:00:00 +0800 2026")),
    user=either(st.fixed_dictionaries({"id": either(st.integers(1, 10**9)), "screen_name": json_values})),
    status=json_values,
    kind=st.sampled_from(["statuses", "comments", "direct_messages"]),
)
def test_fuzzed_weibo_push_is_refused_or_stored(deliver, db, item_id, text, created_at, user, status, kind):
    _fresh_inbox()
    item = {"id": item_id, "text": text, "created_at": created_at, "status": status}
    item["sender" if kind == "direct_messages" else "user"] = user
    response = deliver(WEIBO, json.dumps({kind: [item]}).encode())
    assert response.status_code < 500
    if response.status_code < 300 and response.json().get("accepted"):
        assert_door_held(response, _expected_words(text))
        assert Message.objects.count() == 1
