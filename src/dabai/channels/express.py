"""The express lane of the webhook doors: a genuine, well-formed delivery is committed in one statement on
the event loop, without Django's request cycle.

Issue 20 asks the doors for what the bare baseline does (verify the signature, INSERT the raw body) at no
less than half its rate. Through Django a webhook costs a request object, the request signals, three hops
to a thread and the ORM's INSERT plus the drain request's upsert: four times the baseline's CPU per request
on the profile. This lane, in front of Django under ASGI on PostgreSQL, runs the same checks as the door
views (``dabai.channels.doors``, ``views.wechat_callback``: size, host, signature, freshness, the adapter's
shape check) and stores the payload and asks for the drain in one round trip (a CTE). Everything else goes
to Django unchanged, body included: a refusal (so the refused body is kept and the 4xx is the door's own),
a WeChat nonce seen before (a retry or a replay: the view tells them apart), a Weibo push with refused
items, the first drain request of a turn (its task is enqueued by the view's code), SQLite, and any error
here. The answers are the views' answers (202 with the payload's id; WeChat's ``success``).
"""

import asyncio
import hashlib
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from dabai.channels import conf, email, phone, sms, wechat, weibo
from dabai.channels.adapter import Adapter, PayloadError
from dabai.channels.drain import DRAIN_STALE_AFTER
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
    "/channels/email/inbound/": _webhook(email.adapter),
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


def _statement(accepted: Accepted) -> str:
    """Store the payload and ask for the drain in one statement (and claim WeChat's nonce, if any).

    The drain request is the ``request_drain`` upsert; when it queues a drain (the row was missing or
    stale) the statement reports it and is rolled back, and the delivery goes through Django, whose door
    enqueues the task on commit. The nonce is claimed only if the pair is new; if not, likewise.
    """
    stale = f"{int(DRAIN_STALE_AFTER.total_seconds())} seconds"
    parts = [
        "drained AS (INSERT INTO customer_channels_drainrequest (id, queued_at) VALUES (1, now()) "
        "ON CONFLICT (id) DO UPDATE SET queued_at = excluded.queued_at "
        f"WHERE customer_channels_drainrequest.queued_at < now() - interval '{stale}' RETURNING id)",
        "stored AS (INSERT INTO customer_channels_inboundpayload (channel, source, raw, meta, status, error, "
        "attempts, received_at) VALUES (%s, %s, %s, %s, 'received', '', 0, now()) RETURNING id)",
    ]
    nonce_check = "1"
    if accepted.nonce is not None:
        parts.insert(
            0,
            "claimed AS (INSERT INTO customer_channels_seennonce "
            "(channel, timestamp, nonce, digest, seen_at) VALUES (%s, %s, %s, %s, now()) "
            "ON CONFLICT DO NOTHING RETURNING id)",
        )
        nonce_check = "(SELECT count(*) FROM claimed)"
    selected = f" SELECT (SELECT id FROM stored), (SELECT count(*) FROM drained), {nonce_check}"
    return "WITH " + ", ".join(parts) + selected


class ExpressDoors:
    """ASGI middleware: the webhook doors' express lane in front of ``app`` (see the module docstring)."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self._pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

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
        host = headers.get(b"host", b"").decode("latin-1")
        domain, _ = split_domain_port(host)
        if not domain or not validate_host(domain, _allowed_hosts()):
            return False
        try:
            accepted = check(headers, scope.get("query_string", b"").decode("latin-1"), body)
        except (PayloadError, wechat.SignatureError, ValueError):
            return False  # the door refuses it with its own answer, and keeps what it keeps
        if accepted is None:
            return False
        sql = _statement(accepted)
        params: list[Any] = []
        if accepted.nonce is not None:
            timestamp, nonce = accepted.nonce
            params += [Channel.WECHAT, timestamp, nonce, hashlib.sha256(body).hexdigest()]
        params += [accepted.channel, accepted.source, body, json.dumps(accepted.meta)]
        pool = await self._pool()
        try:
            async with pool.connection() as connection, connection.transaction():
                row = await (await connection.execute(sql, params)).fetchone()
                payload_id, drain_queued, nonce_new = row
                if drain_queued or not nonce_new:
                    raise _HandOver
        except _HandOver:
            return False
        if accepted.wechat:
            await _answer(send, 200, b"success", b"text/plain")
        else:
            answer = json.dumps({"status": "accepted", "payload_id": payload_id}).encode()
            await _answer(send, 202, answer, b"application/json")
        return True

    async def _pool(self):
        from psycopg_pool import AsyncConnectionPool

        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = AsyncConnectionPool(kwargs=_conninfo(), min_size=1, max_size=POOL_SIZE, open=False)
            await pool.open()
            self._pools[loop] = pool
        return pool

    async def close(self) -> None:
        """Close this event loop's connections (tests; uvicorn's processes simply end)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()


class _HandOver(Exception):
    """Roll the statement back and let Django's door take the delivery."""


def _allowed_hosts() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


async def _answer(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
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
