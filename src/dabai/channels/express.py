"""The express lane of the webhook doors: a genuine, well-formed delivery is committed in one statement on
the event loop, without Django's request cycle.

Issue 20 asks the doors for what the bare baseline does (verify the signature, INSERT the raw body) at no
less than half its rate. Through Django a webhook costs a request object, the request signals, three hops
to a thread and the ORM's INSERT plus the drain request's upsert: four times the baseline's CPU per request
on the profile. This lane, in front of Django under ASGI on PostgreSQL, runs the same checks as the door
views (``dabai.channels.doors``, ``views.wechat_callback``: size, host, signature, freshness, the adapter's
shape check) and stores the payload in one autocommit statement (one round trip, no lock) while a drain is
queued. Everything else goes to Django unchanged, body included: a refusal (so the refused body is kept and
the 4xx is the door's own), a WeChat nonce seen before (a retry or a replay: the view tells them apart), a
Weibo push with refused items, a delivery that finds no fresh drain request (the view asks for the drain and
enqueues its task), SQLite, and any error here. The answers are the views' answers (202 with the payload's
id; WeChat's ``success``).
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

POOL_SIZE = 8
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


def _statement(nonce: bool) -> str:
    """Store the payload (and claim WeChat's nonce, if any) in one statement: one round trip, no wait.

    It only writes when the lane may answer alone: a drain is queued and fresh (the ``request_drain`` row is
    younger than ``DRAIN_STALE_AFTER``) and, for WeChat, the (timestamp, nonce) pair is new. Otherwise it
    writes nothing and returns no id, and the delivery goes through Django, whose door asks for the drain
    (enqueueing its task on commit) or tells a WeChat retry from a replay. One statement is one transaction
    in autocommit: the nonce is never claimed without the payload stored.

    The database function ``customer_channels_lane_may_store`` (migration 0008) decides: it takes the
    drain's advisory lock (``LANE_LOCK``) shared, without waiting, then reads the request row in a query of
    its own, so with a snapshot taken after the lock. The drain takes the same lock exclusively while it
    deletes the row as it starts (``drain_started``): it waits for the statements holding it (their
    payloads are committed before it claims), and a statement that finds it held, or that locks after the
    delete committed, sees no request and hands its delivery to Django. So no payload is stored after the
    drain looked with no drain asked for, and no delivery waits. The lane used to read the row ``FOR KEY
    SHARE``: a row lock is a write to the row, and several lockers at once make PostgreSQL create a
    MultiXact for each new one, every delivery writing the same heap page under its buffer lock; an
    advisory lock lives in the lock manager's memory only.
    """
    stale = int(DRAIN_STALE_AFTER.total_seconds())
    parts = [
        f"may AS (SELECT customer_channels_lane_may_store({LANE_LOCK}, interval '{stale} seconds') AS yes)"
    ]
    allowed = "FROM may WHERE may.yes"
    if nonce:
        parts.append(
            "claimed AS (INSERT INTO customer_channels_seennonce (channel, timestamp, nonce, digest, "
            f"seen_at) SELECT %s, %s, %s, %s, now() {allowed} ON CONFLICT DO NOTHING RETURNING id)"
        )
        allowed = "WHERE EXISTS (SELECT 1 FROM claimed)"
    parts.append(
        "stored AS (INSERT INTO customer_channels_inboundpayload (channel, source, raw, meta, status, "
        "error, attempts, received_at) SELECT %s, %s, %s, %s, 'received', '', 0, now() "
        f"{allowed} RETURNING id)"
    )
    return "WITH " + ", ".join(parts) + " SELECT (SELECT id FROM stored)"


# Built once: the text is also psycopg's key for the statement it prepares on each connection.
STATEMENTS = {nonce: _statement(nonce) for nonce in (False, True)}


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
        sql = STATEMENTS[accepted.nonce is not None]
        params: list[Any] = []
        if accepted.nonce is not None:
            timestamp, nonce = accepted.nonce
            params += [Channel.WECHAT, timestamp, nonce, hashlib.sha256(body).hexdigest()]
        params += [
            accepted.channel,
            accepted.source,
            body,
            json.dumps(accepted.meta) if accepted.meta else "{}",
        ]
        (payload_id,) = await self._connections().fetch_one(sql, params)
        if payload_id is None:
            return False  # no fresh drain request, or a WeChat nonce seen before: Django's door decides
        if accepted.wechat:
            await _answer(send, 200, b"success", b"text/plain")
        else:
            answer = b'{"status": "accepted", "payload_id": %d}' % payload_id  # as the door's JsonResponse
            await _answer(send, 202, answer, b"application/json")
        return True

    def _connections(self) -> "Connections":
        loop = asyncio.get_running_loop()
        connections = self._by_loop.get(loop)
        if connections is None:
            connections = self._by_loop[loop] = Connections(POOL_SIZE)
        return connections

    async def close(self) -> None:
        """Close this event loop's connections (tests; uvicorn's processes simply end)."""
        connections = self._by_loop.pop(asyncio.get_running_loop(), None)
        if connections is not None:
            await connections.close()


class Connections:
    """Up to ``size`` autocommit connections for the lane's one-statement round trips, opened when needed.

    A pool needs no more here: no transactions to reset, no checks between uses. A connection that fails is
    closed and its place freed (the next use opens a new one), so a restarted database costs the deliveries
    in flight a trip through Django's door, nothing more. (psycopg_pool's bookkeeping per checkout cost as
    much CPU on the lane's profile as the statement itself.)
    """

    def __init__(self, size: int) -> None:
        self._slots = asyncio.Semaphore(size)
        self._idle: list[Any] = []

    async def fetch_one(self, sql: str, params: list[Any]) -> tuple:
        async with self._slots:
            connection = self._idle.pop() if self._idle else await _connect()
            try:
                row = await (await connection.execute(sql, params)).fetchone()
            except BaseException:
                await connection.close()
                raise
            self._idle.append(connection)
            return row

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
