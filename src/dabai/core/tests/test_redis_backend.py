"""With REDIS_URL set, the same message flow runs on RQ (django-tasks-rq) against a real Redis server."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

DABAI = str(Path(sys.executable).with_name("dabai"))

SCRIPT = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dabai.config.settings")
django.setup()
from django.conf import settings
from dabai.conversations.services import receive_message
from dabai.customers.services import resolve_customer
assert settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
customer = resolve_customer("sms", "13900002222", display_name="孙先生")
body = "话费多扣了50元，再不退我就投诉到工信部"
for _ in range(2):
    receive_message(channel="sms", customer=customer, body=body, external_id="sms-1")
"""

CHECK = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dabai.config.settings")
django.setup()
from dabai.conversations.models import Insight, Message
print(Message.objects.count(), Insight.objects.count(), Insight.objects.get().escalation_risk)
"""


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The suite's Redis (make test exports TEST_REDIS_URL) or a private redis-server on loopback."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    assert shutil.which("redis-server"), "redis-server is installed by `make test` (Debian redis-server)"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.3)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_messages_are_analysed_by_the_rq_worker_and_stored_once(redis_url, tmp_path):
    db = tmp_path / "rq.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DABAI_VAR_DIR=str(tmp_path), REDIS_URL=redis_url.rsplit("/", 1)[0] + "/9")
    env["DATABASE_URL"] = f"sqlite:///{db}"
    subprocess.run([DABAI, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run(["redis-cli", "-u", env["REDIS_URL"], "flushdb"], check=True, capture_output=True)
    subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True)
    subprocess.run([DABAI, "worker", "--batch"], env=env, check=True, capture_output=True, timeout=120)
    out = subprocess.run([sys.executable, "-c", CHECK], env=env, check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["1", "1", "True"]


def _get(url: str) -> int:
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status


def test_serve_runs_several_workers_with_live_events_through_redis(redis_url, tmp_path):
    """``dabai serve --workers 2`` starts two uvicorn processes that answer; without Redis it refuses, since
    an agent on one worker would not hear another's live events."""
    db = tmp_path / "serve.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DABAI_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{db}", DABAI_ACCESS_LOG="0")
    refused = subprocess.run([DABAI, "serve", "--workers", "2"], env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "REDIS_URL" in refused.stderr
    env["REDIS_URL"] = redis_url.rsplit("/", 1)[0] + "/8"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [DABAI, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(f"http://127.0.0.1:{port}/jsi18n/") == 200:
                    break
            except OSError:
                time.sleep(0.3)
        assert all(_get(f"http://127.0.0.1:{port}/jsi18n/") == 200 for _ in range(10))
    finally:
        os.killpg(server.pid, 15)
        output = server.communicate(timeout=30)[0]
    assert "2 workers" in output
    assert output.count("Started server process") == 2, output
