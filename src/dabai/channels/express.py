"""The express lane of the webhook doors: a genuine, well-formed delivery is committed in one statement on
the event loop, without Django's request cycle.

Issue 20 asks the doors for what the bare baseline does (verify the signature, INSERT the raw body) at no
less than half its rate. Through Django a webhook costs a request object, the request signals, three hops
to a thread and the ORM's INSERT plus the drain request's upsert: four times the baseline's CPU per request
on the profile. This lane, in front of Django under ASGI on PostgreSQL, runs the same checks as the door
views (``dabai.channels.doors``, ``views.wechat_callback``: size, host, signature, freshness, the adapter's
shape check) and stores the payload in one autocommit statement (one round trip, no lock; deliveries
that arrive together share it) while a drain is queued. Everything else goes to Django unchanged, body
included: a refusal (so the refused body is kept and the 4xx is the door's own), a WeChat nonce seen before
(a retry or a replay: the view tells them apart), a Weibo push with refused items, a delivery that finds no
fresh drain request (the view asks for the drain and enqueues its task), SQLite, and any error here. The
answers are the views' answers (202 with the payload's id; WeChat's ``success``).
"""

import asyncio
import hashlib
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.parser import BytesParser
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from dabai.channels import conf, email, phone, sms, wechat, weibo
from dabai.channels.adapter import Adapter, PayloadError
from dabai.channels.drain import DRAIN_STALE_AFTER, LANE_LOCK
from dabai.channels.email.parse import EIGHT_BIT_HEADERS
from dabai.channels.sanitise import load_json
from dabai.channels.signing import signature_valid
from dabai.core.choices import Channel

logger = logging.getLogger(__name__)

# Statements of the lane running at once in one web process (each on its own connection), and the most
# deliveries and bytes one of them stores (a delivery larger than that goes alone: emails with attachments
# may be megabytes, and 64 of them in one statement would hold hundreds in the web process's memory).
STATEMENTS_IN_FLIGHT = 2
BATCH_SIZE = 64
BATCH_BYTES = 1024 * 1024
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


@dataclass(frozen=True)
class Accepted:
    """What the lane stores for one delivery, and how the door answers it."""

    channel: str
    source: str
    meta: dict[str, Any]
    nonce: tuple[int, str] | None = None  # WeChat's (timestamp, nonce), claimed in the same statement
    wechat: bool = False


def _signed(adapter: Adapter, headers: dict[bytes, bytes], body: bytes) -> bool:
    timestamp = headers.get(b"x-timestamp", b"").decode("latin-1")
    signature = headers.get(b"x-signature", b"").decode("latin-1")
    return signature_valid(adapter.secret(), timestamp, signature, body)


def _webhook(adapter: Adapter, source: str = "webhook", with_type: bool = False):
    def check(headers: dict[bytes, bytes], query: str, body: bytes) -> Accepted | None:
        if not _signed(adapter, headers, body):
            return None
        meta = {}
        if with_type:
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            meta = {"content_type": content_type.split(";")[0].strip().lower()}
        adapter.check(body, meta)
        return Accepted(adapter.channel, source, meta)

    return check


def _email(headers: dict[bytes, bytes], query: str, body: bytes) -> Accepted | None:
    if not _signed(email.adapter, headers, body):
        return None
    check_email(body)
    return Accepted(Channel.EMAIL, "webhook", {})


def check_email(raw: bytes) -> None:
    """The email adapter's door check (``parse_email``) without reading the body where it cannot matter.

    The full parse refuses a message for two reasons only: no valid From address, read from the headers,
    and MIME parts nested too deeply. A message that is neither multipart nor a message/* has no parts to
    nest, so its headers decide, read as the full parse reads them (same parser, same policy); anything
    else gets the full check. It was the dearest check at the door (~0.15 ms of ~0.45 ms a delivery); the
    drain parses the whole message anyway.
    """
    head = BytesParser(policy=EIGHT_BIT_HEADERS).parsebytes(raw, headersonly=True)
    if head.get_content_maintype() in ("multipart", "message"):
        email.adapter.check(raw, {})
    elif not email.parse_address(head.get("From"))[1]:
        raise PayloadError("email without a valid From address")


def _weibo(headers: dict[bytes, bytes], query: str, body: bytes) -> Accepted | None:
    if not _signed(weibo.adapter, headers, body):
        return None
    accepted, refused = weibo.check_push(load_json(body))
    return Accepted(Channel.WEIBO, "push", {}) if accepted and not refused else None


def _wechat(headers: dict[bytes, bytes], query_string: str, body: bytes) -> Accepted | None:
    query = dict(parse_qsl(query_string, keep_blank_values=True))
    fields = wechat.open_callback(body, query)
    timestamp = int(query.get("timestamp", "")[:20])
    nonce = query.get("nonce", "")
    if abs(time.time() - timestamp) > conf.wechat_max_age_seconds() or not nonce or len(nonce) > 64:
        return None
    wechat.read_fields(fields)
    return Accepted(
        Channel.WECHAT,
        "callback",
        {"query": wechat.stored_query(query)},
        nonce=(timestamp, nonce),
        wechat=True,
    )


ROUTES: dict[str, Callable[[dict[bytes, bytes], str, bytes], Accepted | None]] = {
    "/channels/sms/inbound/": _webhook(sms.adapter),
    "/channels/email/inbound/": _email,
    "/channels/phone/inbound/": _webhook(phone.adapter, "call", with_type=True),
    "/channels/weibo/inbound/": _weibo,
    "/channels/wechat/": _wechat,
}


def enabled() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _conninfo() -> dict[str, Any]:
    db = settings.DATABASES["default"]
    params = {"dbname": db["NAME"], "user": db.get("USER"), "password": db.get("PASSWORD")}
    params |= {"host": db.get("HOST"), "port": db.get("PORT")}
    return {k: v for k, v in params.items() if v not in (None, "")}


def _statement() -> str:
    """Store a batch of payloads (and claim WeChat's nonces) in one statement: one round trip, no wait.

    It only writes when the lane may answer alone: a drain is queued and fresh (the ``request_drain`` row is
    younger than ``DRAIN_STALE_AFTER``). A WeChat delivery is stored only if its (timestamp, nonce) pair is
    new, the first of the batch taking a pair two of them carry. The statement returns (position, id) for
    each delivery stored; the others write nothing and go through Django, whose door asks for the drain
    (enqueueing its task on commit) or tells a WeChat retry from a replay. One statement is one transaction
    in autocommit: a nonce is never claimed without its payload stored. The ids are drawn in the statement
    (``nextval``), so each is known with its position without relying on the order ``RETURNING`` gives.

    The database function ``customer_channels_lane_may_store`` (migration 0008) decides: it takes the
    drain's advisory lock (``LANE_LOCK``) shared, without waiting, then reads the request row in a query of
    its own, so with a snapshot taken after the lock. The drain takes the same lock exclusively while it
    deletes the row as it starts (``drain_started``): it waits for the statements holding it (their
    payloads are committed before it claims), and a statement that finds it held, or that locks after the
    delete committed, sees no request and hands its deliveries to Django. So no payload is stored after the
    drain looked with no drain asked for, and no delivery waits. The lane used to read the row ``FOR KEY
    SHARE``: a row lock is a write to the row, and several lockers at once make PostgreSQL create a
    MultiXact for each new one, every delivery writing the same heap page under its buffer lock; an
    advisory lock lives in the lock manager's memory only.
    """
    stale = int(DRAIN_STALE_AFTER.total_seconds())
    return f"""
WITH may AS (SELECT customer_channels_lane_may_store({LANE_LOCK}, interval '{stale} seconds') AS yes),
delivered AS (
    SELECT * FROM unnest(%s::int[], %s::text[], %s::text[], %s::bytea[], %s::text[], %s::bigint[],
                         %s::text[], %s::text[]) AS d(pos, channel, source, raw, meta, ts, nonce, digest)
    WHERE (SELECT yes FROM may)
),
first_of_pair AS (
    SELECT DISTINCT ON (ts, nonce) pos, channel, ts, nonce, digest FROM delivered
    WHERE nonce IS NOT NULL ORDER BY ts, nonce, pos
),
claimed AS (
    INSERT INTO customer_channels_seennonce (channel, timestamp, nonce, digest, seen_at)
    SELECT channel, ts, nonce, digest, now() FROM first_of_pair
    ON CONFLICT DO NOTHING RETURNING timestamp, nonce
),
chosen AS MATERIALIZED (
    SELECT d.pos, nextval(pg_get_serial_sequence('customer_channels_inboundpayload', 'id')) AS id,
           d.channel, d.source, d.raw, d.meta
    FROM delivered d
    WHERE d.nonce IS NULL OR d.pos IN (
        SELECT f.pos FROM first_of_pair f JOIN claimed c ON c.timestamp = f.ts AND c.nonce = f.nonce
    )
),
stored AS (
    INSERT INTO customer_channels_inboundpayload (id, channel, source, raw, meta, status, error, attempts,
                                                  received_at)
    SELECT id, channel, source, raw, meta::jsonb, 'received', '', 0, now() FROM chosen
)
SELECT pos, id FROM chosen"""


# Built once: the text is also psycopg's key for the statement it prepares on each connection.
STATEMENT = _statement()


def statement_params(batch: list[Accepted], bodies: list[bytes]) -> list[list[Any]]:
    """The batch as the statement's eight arrays, one element per delivery (its position is its index)."""
    nonces = [accepted.nonce or (None, None) for accepted in batch]
    return [
        list(range(len(batch))),
        [accepted.channel for accepted in batch],
        [accepted.source for accepted in batch],
        bodies,
        [json.dumps(accepted.meta) if accepted.meta else "{}" for accepted in batch],
        [timestamp for timestamp, _ in nonces],
        [nonce for _, nonce in nonces],
        [hashlib.sha256(raw).hexdigest() if a.nonce else None for a, raw in zip(batch, bodies, strict=True)],
    ]


class ExpressDoors:
    """ASGI middleware: the webhook doors' express lane in front of ``app`` (see the module docstring)."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self._by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        check = ROUTES.get(scope.get("path", "")) if scope["type"] == "http" else None
        if check is None or scope["method"] != "POST" or not enabled():
            return await self.app(scope, receive, send)
        body, complete = await self._read(scope, receive)
        if complete:
            try:
                answered = await self._store(scope, check, body, send)
            except Exception:
                logger.exception("express lane failed on %s; handing the delivery to the door", scope["path"])
                answered = False
            if answered:
                return None
        return await self.app(scope, _replay(body, complete, receive), send)

    async def _read(self, scope: Scope, receive: Receive) -> tuple[bytes, bool]:
        """The body, unless it is larger than accepted (then the door refuses it: 413)."""
        limit = conf.max_payload_bytes()
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), False
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > limit:
                return b"".join(chunks), False
        return b"".join(chunks), True

    async def _store(self, scope: Scope, check: Callable, body: bytes, send: Send) -> bool:
        headers = dict(scope.get("headers", []))
        if not _host_served(headers.get(b"host", b""), _allowed_hosts()):
            return False
        try:
            accepted = check(headers, scope.get("query_string", b"").decode("latin-1"), body)
        except (PayloadError, wechat.SignatureError, ValueError):
            return False  # the door refuses it with its own answer, and keeps what it keeps
        if accepted is None:
            return False
        payload_id = await self._batches().store(accepted, body)
        if payload_id is None:
            return False  # no fresh drain request, or a WeChat nonce seen before: Django's door decides
        if accepted.wechat:
            await _answer(send, 200, b"success", b"text/plain")
        else:
            answer = b'{"status": "accepted", "payload_id": %d}' % payload_id  # as the door's JsonResponse
            await _answer(send, 202, answer, b"application/json")
        return True

    def _batches(self) -> "Batches":
        loop = asyncio.get_running_loop()
        batches = self._by_loop.get(loop)
        if batches is None:
            batches = self._by_loop[loop] = Batches(Connections())
        return batches

    async def close(self) -> None:
        """Close this event loop's connections (tests; uvicorn's processes simply end)."""
        batches = self._by_loop.pop(asyncio.get_running_loop(), None)
        if batches is not None:
            await batches.connections.close()


class Batches:
    """The deliveries waiting for the lane's statement, stored together (a group commit).

    A delivery joins the waiting list; while fewer than ``STATEMENTS_IN_FLIGHT`` statements run, a new one
    takes what is waiting (up to ``BATCH_SIZE`` deliveries and ``BATCH_BYTES``). When the doors are quiet
    each delivery has a statement of its own, as before; when they are busy, the deliveries that arrive while
    statements are out go together in the next: one round trip, one commit and one call into psycopg for
    many. One statement a delivery was the lane's dearest part at high rates (psycopg's execute ~30 % of the
    web process's CPU, and PostgreSQL's commit per delivery): the web process took 0.31-0.35 ms of CPU a
    delivery at 1,600 msg/s; together, 0.18 ms at 3,200 and 0.12 ms at 4,800 (bench/ingest.py, 2 December).
    Under a burst a delivery waits for the statements ahead of it, each a round trip of a millisecond or two.
    """

    def __init__(self, connections: "Connections") -> None:
        self.connections = connections
        self._free = STATEMENTS_IN_FLIGHT
        self._waiting: list[tuple[Accepted, bytes, asyncio.Future]] = []
        self._running: set[asyncio.Task] = set()

    async def store(self, accepted: Accepted, body: bytes) -> int | None:
        """The stored payload's id, or None when Django's door must take the delivery."""
        loop = asyncio.get_running_loop()
        stored = loop.create_future()
        self._waiting.append((accepted, body, stored))
        if self._free:
            self._free -= 1
            task = loop.create_task(self._flush())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return await stored

    async def _flush(self) -> None:
        try:
            while self._waiting:
                taken = _batch_length([len(body) for _, body, _ in self._waiting[:BATCH_SIZE]])
                batch, self._waiting = self._waiting[:taken], self._waiting[taken:]
                await self._store_batch(batch)
        finally:
            self._free += 1

    async def _store_batch(self, batch: list[tuple[Accepted, bytes, asyncio.Future]]) -> None:
        params = statement_params([accepted for accepted, _, _ in batch], [body for _, body, _ in batch])
        try:
            ids = dict(await self.connections.fetch_all(STATEMENT, params))
        except Exception as error:  # each delivery goes through Django's door (the lane logs why)
            for _, _, stored in batch:
                if not stored.done():
                    stored.set_exception(error)
            return
        except BaseException:
            for _, _, stored in batch:
                stored.cancel()
            raise
        for position, (_, _, stored) in enumerate(batch):
            if not stored.done():
                stored.set_result(ids.get(position))


def _batch_length(sizes: list[int]) -> int:
    """How many of the waiting deliveries (their body sizes, oldest first) the next statement takes: at
    least one, then as many as stay within ``BATCH_BYTES``."""
    total = 0
    for taken, size in enumerate(sizes):
        total += size
        if taken and total > BATCH_BYTES:
            return taken
    return len(sizes)


class Connections:
    """Autocommit connections for the lane's one-statement round trips, opened when needed and kept idle
    between uses; as many as statements run at once, which ``Batches`` bounds (``STATEMENTS_IN_FLIGHT``).

    A pool needs no more here: no transactions to reset, no checks between uses. A connection that fails is
    closed, not kept (the next use opens a new one), so a restarted database costs the deliveries in flight a
    trip through Django's door, nothing more. (psycopg_pool's bookkeeping per checkout cost as much CPU on the
    lane's profile as the statement itself.)
    """

    def __init__(self) -> None:
        self._idle: list[Any] = []

    async def fetch_all(self, sql: str, params: list[Any]) -> list[tuple]:
        connection = self._idle.pop() if self._idle else await _connect()
        try:
            rows = await (await connection.execute(sql, params)).fetchall()
        except BaseException:
            await connection.close()
            raise
        self._idle.append(connection)
        return rows

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


async def _connect():
    import psycopg

    return await psycopg.AsyncConnection.connect(**_conninfo(), autocommit=True)


def _allowed_hosts() -> tuple[str, ...]:
    hosts = tuple(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = (".localhost", "127.0.0.1", "[::1]")
    return hosts


@lru_cache(maxsize=64)
def _host_served(host: bytes, allowed: tuple[str, ...]) -> bool:
    """Whether the Host header names a host we serve, as Django's ``get_host`` decides (memoised: a door
    sees the same one or two Host values all day; the allowed hosts are part of the key)."""
    domain, _ = split_domain_port(host.decode("latin-1"))
    return bool(domain) and validate_host(domain, allowed)


async def _answer(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", b"%d" % len(body)),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, complete: bool, receive: Receive) -> Receive:
    """``receive`` for Django: the body read here first (as one message), then the client's own stream."""
    pending = [{"type": "http.request", "body": body, "more_body": not complete}]

    async def replayed() -> dict:
        return pending.pop() if pending else await receive()

    return replayed
