"""The webhook doors' express lane (PostgreSQL): it answers a genuine delivery alone only while a drain is
queued, writes nothing when it hands a delivery to Django's door, and never waits on the drain's lock.

Called as uvicorn calls it, with Django's door replaced by a stand-in that records each hand-over, so each
test shows which of the two answered. The doors' answers through the whole application (refusals, 413,
stale timestamps, replayed nonces) are in ``test_doors_asgi`` and the channels' own tests.
"""

import asyncio
import base64
import json
import threading
import time
import urllib.parse
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dabai.channels.adapter import PayloadError
from dabai.channels.drain import (
    DRAIN_STALE_AFTER,
    LANE_LOCK,
    drain_batch,
    drain_forever,
    drain_started,
)
from dabai.channels.email import adapter as email_adapter
from dabai.channels.express import (
    BATCH_BYTES,
    STATEMENT,
    Accepted,
    ExpressDoors,
    _batch_length,
    _conninfo,
    check_email,
    statement_params,
)
from dabai.channels.models import DrainRequest, InboundPayload, PayloadStatus, SeenNonce
from dabai.channels.signing import sign
from dabai.core.choices import Channel

from .conftest import SECRET
from .test_doors_asgi import wechat_callback


def on_postgresql(test):
    """A test of the lane itself: PostgreSQL only (on SQLite every delivery goes through Django's door)."""
    in_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)
    postgresql = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    return pytest.mark.skipif(not postgresql, reason="the lane runs on PostgreSQL")(in_db(test))


HANDED_OVER = 299  # the stand-in door's status


async def stand_in_door(scope, receive, send) -> None:
    """Django's door, as far as these tests need it: it answers HANDED_OVER."""
    await receive()
    await send({"type": "http.response.start", "status": HANDED_OVER, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def deliver(
    lane: ExpressDoors, path: str, body: bytes, headers: dict[str, str], query: str = ""
) -> tuple[int, bytes]:
    """One POST through ``lane``, as uvicorn hands it over: (status, body)."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await asyncio.wait_for(lane(scope, receive, send), timeout=10)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def post(path: str, body: bytes, headers: dict[str, str], query: str = "") -> tuple[int, bytes]:
    """One POST through a fresh lane: (status, body); HANDED_OVER when Django's door would have answered."""

    async def run() -> tuple[int, bytes]:
        lane = ExpressDoors(stand_in_door)
        try:
            return await deliver(lane, path, body, headers, query)
        finally:
            await lane.close()

    return asyncio.run(run())


def sms(sms_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {"from": "13900001111", "text": "宽带又断了", "id": sms_id}, ensure_ascii=False
    ).encode()
    timestamp = str(int(time.time()))
    headers = {"X-Timestamp": timestamp, "X-Signature": sign(SECRET, timestamp, body)}
    return body, headers | {"Content-Type": "application/json"}


def drain_queued(ago: timedelta = timedelta(0)) -> None:
    DrainRequest.objects.update_or_create(pk=1, defaults={"queued_at": timezone.now() - ago})


@on_postgresql
def test_with_a_drain_queued_the_lane_stores_and_answers_alone() -> None:
    drain_queued()
    status, content = post("/channels/sms/inbound/", *sms("lane-1"))
    payload = InboundPayload.objects.get()
    assert status == 202 and json.loads(content) == {"status": "accepted", "payload_id": payload.pk}
    assert (payload.channel, payload.source, payload.status) == (
        Channel.SMS,
        "webhook",
        PayloadStatus.RECEIVED,
    )
    assert bytes(payload.raw) == sms("lane-1")[0]


@on_postgresql
@pytest.mark.parametrize("ago", [None, timedelta(minutes=5)], ids=["no drain queued", "a stale request"])
def test_without_a_fresh_drain_request_django_takes_it_and_nothing_is_written(ago) -> None:
    """Django's door asks for the drain (its task enqueued on commit): the lane must not store it first."""
    if ago is not None:
        drain_queued(ago)
    status, _ = post("/channels/sms/inbound/", *sms("lane-2"))
    assert status == HANDED_OVER
    assert not InboundPayload.objects.exists()


@on_postgresql
def test_deliveries_are_not_queued_behind_a_drain_request_in_flight() -> None:
    """Django's door asking for the drain holds the request row until its commit; the lane only reads the
    row (it used to upsert it too, which locks it even when nothing changes: every delivery waited for the
    one before it to commit, about 1,000 a second at most)."""
    drain_queued()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute(
            "INSERT INTO customer_channels_drainrequest (id, queued_at) VALUES (1, now()) ON CONFLICT (id) "
            "DO UPDATE SET queued_at = excluded.queued_at "
            "WHERE customer_channels_drainrequest.queued_at < now() - interval '60 seconds'"
        )
        try:
            status, _ = post("/channels/sms/inbound/", *sms("lane-3"))
        finally:
            cursor.execute("ROLLBACK")
    assert status == 202 and InboundPayload.objects.count() == 1


@on_postgresql
def test_a_delivery_during_the_drain_start_goes_to_django_at_once() -> None:
    """The drain deletes the request when it starts, then claims what is stored. While it does (its lock
    held), a delivery neither waits for it nor is stored by the lane: Django's door takes it and asks for the
    next drain."""
    drain_queued()
    answers: list[tuple[int, bytes]] = []
    with transaction.atomic():
        drain_started()
        racing = threading.Thread(target=lambda: answers.append(post("/channels/sms/inbound/", *sms("r"))))
        racing.start()
        racing.join(timeout=5)
        assert not racing.is_alive(), "the delivery waited for the drain to start"
    assert answers == [(HANDED_OVER, b"")]
    assert not InboundPayload.objects.exists()


@on_postgresql
def test_the_drain_start_waits_for_the_deliveries_in_flight_and_then_finds_them() -> None:
    """A lane statement that may store holds the lock until it commits: the drain's start waits for it, so
    the payload is committed before the drain claims."""
    drain_queued()
    body, _ = sms("in-flight")
    with psycopg.connect(**_conninfo()) as lane:  # not autocommit: the statement's transaction stays open
        params = statement_params([Accepted(Channel.SMS, "webhook", {})], [body])
        ((_, payload_id),) = lane.execute(STATEMENT, params).fetchall()
        starting = threading.Thread(target=_start_drain)
        starting.start()
        starting.join(timeout=1)
        assert starting.is_alive(), "the drain started while a delivery was being stored"
        lane.commit()
        starting.join(timeout=10)
    assert not starting.is_alive() and not DrainRequest.objects.exists()
    assert drain_batch(10) == 1
    assert InboundPayload.objects.get(pk=payload_id).status == PayloadStatus.PROCESSED


def _start_drain() -> None:
    try:
        drain_started()
    finally:
        connection.close()


@on_postgresql
def test_a_statement_begun_before_the_drain_start_committed_still_sees_it() -> None:
    """One statement reads with a snapshot taken when it begins; the lane's check reads the request in a
    query of its own, after taking the lock. A statement that began before the drain's delete committed and
    reaches the check after it sees no request (a plain read in the statement still saw the deleted row)."""
    drain_queued()
    stale = int(DRAIN_STALE_AFTER.total_seconds())
    checks = {
        "lane": f"customer_channels_lane_may_store({LANE_LOCK}, interval '{stale} seconds')",
        "plain read": "EXISTS (SELECT 1 FROM customer_channels_drainrequest WHERE id = 1)",
    }
    answers: dict[str, bool] = {}

    def check(name: str) -> None:
        with psycopg.connect(**_conninfo(), autocommit=True) as conn:
            sql = f"WITH began AS MATERIALIZED (SELECT pg_sleep(0.8)) SELECT {checks[name]} FROM began"
            answers[name] = conn.execute(sql).fetchone()[0]

    threads = [threading.Thread(target=check, args=(name,)) for name in checks]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    drain_started()
    for thread in threads:
        thread.join(timeout=10)
    assert answers == {"lane": False, "plain read": True}


@on_postgresql
def test_a_running_drain_lane_keeps_the_lane_answering_alone() -> None:
    """The worker's drain lane renews the request as it runs: deliveries are stored by the lane however long
    ago a drain was last asked for, instead of going through Django's door one by one whenever it is stale."""
    drain_queued(timedelta(minutes=5))
    assert post("/channels/sms/inbound/", *sms("renew-1"))[0] == HANDED_OVER

    class OneTurn(threading.Event):
        turns = 0

        def is_set(self) -> bool:
            self.turns += 1
            return self.turns > 1

    assert drain_forever(OneTurn(), idle_seconds=0) == 0
    assert post("/channels/sms/inbound/", *sms("renew-2"))[0] == 202


@on_postgresql
def test_a_lost_database_connection_costs_one_delivery_a_trip_through_django() -> None:
    """The lane's connection dies (the database restarted, an idle timeout): that delivery goes to Django's
    door, which stores it; the next one is stored by the lane again, on a new connection."""
    drain_queued()

    async def run() -> list[int]:
        lane = ExpressDoors(stand_in_door)
        try:
            statuses = [(await deliver(lane, "/channels/sms/inbound/", *sms("conn-1")))[0]]
            (backend,) = [c.info.backend_pid for c in lane._batches().connections._idle]
            await asyncio.to_thread(_terminate, backend)
            for sms_id in ("conn-2", "conn-3"):
                statuses.append((await deliver(lane, "/channels/sms/inbound/", *sms(sms_id)))[0])
            return statuses
        finally:
            await lane.close()

    assert asyncio.run(run()) == [202, HANDED_OVER, 202]
    assert InboundPayload.objects.count() == 2


def _terminate(backend: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    connection.close()


def wechat_post(text: str, msg_id: str, nonce: str) -> tuple[bytes, dict[str, str], str]:
    """A safe-mode WeChat callback sent now: (envelope, headers, query string)."""
    query, envelope = wechat_callback(text, msg_id, nonce, str(int(time.time())))
    return envelope, {"Content-Type": "text/xml"}, query


@pytest.fixture
def wechat_account(settings):
    settings.DABAI_WECHAT_TOKEN, settings.DABAI_WECHAT_APP_ID = "lanetoken", "wx1234567890abcdef"
    settings.DABAI_WECHAT_AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")


@on_postgresql
def test_a_wechat_nonce_is_claimed_with_its_payload_or_not_at_all(wechat_account) -> None:
    """A new pair is claimed and the callback stored in the same statement; a pair seen before (a retry or a
    replay, which Django's door tells apart) writes nothing; without a drain queued, the pair stays free."""
    body, headers, query = wechat_post("快递三天没动了", "6054768590064713001", "lane-nonce-1")
    status, _ = post("/channels/wechat/", body, headers, query)
    assert status == HANDED_OVER and not SeenNonce.objects.exists() and not InboundPayload.objects.exists()

    drain_queued()
    assert post("/channels/wechat/", body, headers, query) == (200, b"success")
    assert SeenNonce.objects.count() == 1 and InboundPayload.objects.get().channel == Channel.WECHAT
    assert InboundPayload.objects.get().meta["query"]["nonce"] == "lane-nonce-1"

    status, _ = post("/channels/wechat/", body, headers, query)
    assert status == HANDED_OVER, "the same pair again goes to Django's door (retry or replay)"
    assert SeenNonce.objects.count() == 1 and InboundPayload.objects.count() == 1


def deliver_together(deliveries: list[tuple[str, bytes, dict[str, str], str]]) -> tuple[list, int]:
    """The deliveries through one lane at once, as a busy door receives them: (answers, statements run)."""

    async def run() -> tuple[list, int]:
        lane = ExpressDoors(stand_in_door)
        statements = 0
        try:
            connections = lane._batches().connections
            fetch_all = connections.fetch_all

            async def counted(sql, params):
                nonlocal statements
                statements += 1
                return await fetch_all(sql, params)

            connections.fetch_all = counted
            answers = await asyncio.gather(*(deliver(lane, *delivery) for delivery in deliveries))
            return answers, statements
        finally:
            await lane.close()

    return asyncio.run(run())


@on_postgresql
def test_deliveries_arriving_together_share_a_statement_and_each_gets_its_own_payload() -> None:
    drain_queued()
    deliveries = [("/channels/sms/inbound/", *sms(f"together-{i}"), "") for i in range(30)]
    answers, statements = deliver_together(deliveries)
    assert statements < 10, "a busy door stores deliveries together"
    assert {status for status, _ in answers} == {202}
    for (_, body, _, _), (_, answer) in zip(deliveries, answers, strict=True):
        payload = InboundPayload.objects.get(pk=json.loads(answer)["payload_id"])
        assert bytes(payload.raw) == body, "each delivery is answered with its own payload's id"
    assert InboundPayload.objects.count() == 30


def test_a_statement_takes_waiting_deliveries_up_to_its_byte_budget_and_a_large_one_alone() -> None:
    small, large = 2_000, BATCH_BYTES + 1
    assert _batch_length([small] * 64) == 64
    assert _batch_length([large, small]) == 1, "a delivery over the budget goes alone"
    assert _batch_length([small, large]) == 1, "and waits for the next statement rather than join"
    assert _batch_length([BATCH_BYTES // 2 + 1] * 3) == 1


@on_postgresql
def test_in_one_statement_a_wechat_pair_is_stored_once_and_seen_pairs_go_to_django(wechat_account) -> None:
    """A batch mixing channels: a pair that two callbacks of the batch carry is stored with the first, a pair
    seen before is not stored again; both others go to Django's door, which tells a retry from a replay."""
    drain_queued()
    seen = wechat_post("第一次", "6054768590064713010", "pair-seen")
    assert post("/channels/wechat/", seen[0], seen[1], seen[2]) == (200, b"success")
    twice = wechat_post("发了两次", "6054768590064713011", "pair-twice")
    fresh = wechat_post("新消息", "6054768590064713012", "pair-fresh")
    deliveries = [
        ("/channels/wechat/", *twice),
        ("/channels/sms/inbound/", *sms("between"), ""),
        ("/channels/wechat/", *twice),
        ("/channels/wechat/", *seen),
        ("/channels/wechat/", *fresh),
    ]
    answers, statements = deliver_together(deliveries)
    assert statements == 1
    assert [status for status, _ in answers] == [200, 202, HANDED_OVER, HANDED_OVER, 200]
    stored = {p.meta.get("query", {}).get("nonce") for p in InboundPayload.objects.all()}
    assert stored == {"pair-seen", "pair-twice", None, "pair-fresh"} and InboundPayload.objects.count() == 4
    assert SeenNonce.objects.count() == 3


@on_postgresql
def test_what_the_door_refuses_goes_to_django_unstored(wechat_account) -> None:
    """Bad signatures, malformed bodies and stale WeChat timestamps: Django's door answers (and keeps what it
    keeps); the lane writes nothing."""
    drain_queued()
    body, headers = sms("lane-4")
    assert post("/channels/sms/inbound/", body, headers | {"X-Signature": "0" * 64})[0] == HANDED_OVER
    malformed = b'{"from": "13900001111"}'
    timestamp = str(int(time.time()))
    signed = {"X-Timestamp": timestamp, "X-Signature": sign(SECRET, timestamp, malformed)}
    assert post("/channels/sms/inbound/", malformed, signed)[0] == HANDED_OVER
    envelope, wechat_headers, query = wechat_post("你好", "6054768590064713002", "lane-nonce-2")
    stale = urllib.parse.parse_qs(query)
    old = str(int(time.time()) - 3600)
    stale_query = urllib.parse.urlencode({k: v[0] for k, v in stale.items()} | {"timestamp": old})
    assert post("/channels/wechat/", envelope, wechat_headers, stale_query)[0] == HANDED_OVER
    assert not InboundPayload.objects.exists() and not SeenNonce.objects.exists()


def mail(headers: str, body: str = "您好，发票怎么开？") -> bytes:
    return f"{headers}\r\n\r\n{body}\r\n".encode()


NESTED = "Content-Type: multipart/mixed; boundary=b0\r\n\r\n" + "".join(
    f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n" for i in range(2000)
)
MAILS = {
    "plain": mail("From: 王小姐 <wang@mail.example.cn>\r\nSubject: 发票\r\nMessage-ID: <m1@example.cn>"),
    "encoded name": mail("From: =?utf-8?b?546L5bCP5aeQ?= <wang@mail.example.cn>"),
    "bare address": mail("From: wang@mail.example.cn"),
    "no From": mail("Subject: 发票"),
    "From without an address": mail("From: 王小姐"),
    "encoded word hiding the address": mail("From: =?utf-8?q?v@evil.test?="),
    "quoted-printable": mail(
        "From: a@b.cn\r\nContent-Type: text/plain; charset=gb2312\r\n"
        "Content-Transfer-Encoding: quoted-printable",
        "=C4=FA=BA=C3",
    ),
    "multipart": mail(
        "From: a@b.cn\r\nContent-Type: multipart/alternative; boundary=x",
        "--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--",
    ),
    "multipart without From": mail(
        "Content-Type: multipart/alternative; boundary=x",
        "--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--",
    ),
    "nested too deeply": ("From: a@b.cn\r\n" + NESTED).encode(),
    "forwarded message/rfc822": mail(
        "From: a@b.cn\r\nContent-Type: message/rfc822", "From: c@d.cn\r\nSubject: fwd\r\n\r\nhello"
    ),
    "not mail at all": b"\x00\xff{}",
}


@pytest.mark.parametrize("name", list(MAILS))
def test_the_lanes_email_check_refuses_exactly_what_the_adapter_refuses(name: str) -> None:
    """The lane reads only the headers of a single-part message; it must accept and refuse the same mail
    as the adapter's full parse (a refusal then goes to Django's door, which answers with its reason)."""

    def refused(check) -> bool:
        try:
            check(MAILS[name])
        except PayloadError:
            return True
        return False

    assert refused(check_email) == refused(lambda raw: email_adapter.check(raw, {}))


def test_a_changed_channel_setting_is_read_afresh(settings) -> None:
    """The doors read their settings once per name (they ask on every delivery); a changed one is seen at
    once, as tests and ``override_settings`` change them."""
    from dabai.channels import conf

    settings.DABAI_MAX_PAYLOAD_BYTES = 1000
    assert conf.max_payload_bytes() == 1000
    settings.DABAI_MAX_PAYLOAD_BYTES = 2000
    assert conf.max_payload_bytes() == 2000


@on_postgresql
def test_the_lane_serves_only_the_hosts_allowed_now(settings) -> None:
    """The lane remembers its answer for each Host value, and forgets it when the allowed hosts change."""
    drain_queued()
    settings.ALLOWED_HOSTS = ["testserver"]
    assert post("/channels/sms/inbound/", *sms("host-1"))[0] == 202
    settings.ALLOWED_HOSTS = ["kefu.example.cn"]
    assert post("/channels/sms/inbound/", *sms("host-2"))[0] == HANDED_OVER
    assert InboundPayload.objects.count() == 1
