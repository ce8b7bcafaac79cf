"""Real protocol partners on loopback: a dovecot IMAP server, an SMTP sink and an HTTP stand-in for APIs."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from dabai.channels.drain import drain_inbound
from dabai.channels.signing import sign

SECRET = "test-webhook-secret"


@pytest.fixture(autouse=True)
def channel_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DABAI_WEBHOOK_SECRET = SECRET
    settings.DABAI_SMS_SECRET = SECRET
    settings.DABAI_SUPPORT_EMAIL = "kefu@dabai.example"
    return settings


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit(): …`` runs what would happen after the transaction commits (tasks, live events)."""

    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block


def signed_headers(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"HTTP_X_TIMESTAMP": ts, "HTTP_X_SIGNATURE": sign(secret, ts, body)}


@pytest.fixture
def post_signed(client):
    """``post_signed(url, body, content_type=…)``: a webhook call signed like the gateway signs it."""

    def post(url: str, body: bytes, content_type: str = "application/json", **extra: Any):
        return client.post(url, data=body, content_type=content_type, **signed_headers(body), **extra)

    return post


def drain() -> int:
    """What the worker does moments after a door acknowledged a delivery: drain what was stored.

    (In a test's transaction the drain task queued on commit never runs by itself.)
    """
    return drain_inbound.call()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


@dataclass
class Dovecot:
    port: int
    user: str = "support"
    password: str = "imap-secret"


DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 0
mail_location = maildir:{dir}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={dir}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A real IMAP server (Debian's dovecot) in a temporary directory, stopped after the session."""
    base = Path(tempfile.mkdtemp(prefix="dabai-dovecot-"))
    base.chmod(0o755)
    server = Dovecot(port=free_port())
    for sub in ("run", "state", "mail", "home"):
        (base / sub).mkdir()
    shutil.chown(base / "mail", "dovecot", "dovecot")
    shutil.chown(base / "home", "dovecot", "dovecot")
    (base / "passwd").write_text(f"{server.user}:{{PLAIN}}{server.password}\n")
    config = base / "dovecot.conf"
    config.write_text(DOVECOT_CONF.format(dir=base, port=server.port))
    process = subprocess.Popen(
        ["/usr/sbin/dovecot", "-c", str(config), "-F"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(server.port)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


class _Sink:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "data": envelope.original_content}
        )
        return "250 OK"


@dataclass
class SmtpSink:
    port: int
    handler: _Sink

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.handler.messages


@pytest.fixture
def smtp_sink(settings) -> Iterator[SmtpSink]:
    """An aiosmtpd server on loopback that keeps every message; Django's SMTP backend points at it."""
    handler = _Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    try:
        yield SmtpSink(controller.port, handler)
    finally:
        controller.stop()


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class StandIn:
    """A local HTTP server playing a provider's API: each route maps a path to (status, JSON)."""

    url: str
    routes: dict[str, Callable[[Recorded], tuple[int, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    state = StandIn(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            record = Recorded(self.command, path, query, dict(self.headers), self.rfile.read(length))
            state.requests.append(record)
            route = state.routes.get(path)
            status, payload = route(record) if route else (404, {"error": "no route"})
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
