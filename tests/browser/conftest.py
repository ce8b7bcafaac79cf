"""Browser tests against a real dabai: `dabai serve` + `dabai worker` on a fresh SQLite demo database.

Chromium is Debian's /usr/bin/chromium (installed by `make test`), never a downloaded browser. Screenshots
go to $ARTIFACTS_DIR (default ./artifacts).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DABAI = str(Path(sys.executable).with_name("dabai"))
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", Path.cwd() / "artifacts"))
FILTER_CORPUS = Path(__file__).resolve().parents[2] / "src" / "dabai" / "learning" / "tests" / "corpus"

# Tests talk to the server over HTTP only; Playwright's sync API runs an event loop in this thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, processes: list[subprocess.Popen], timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                report = json.load(response)
                if report.get("ok"):
                    return report
                last = report
        except OSError as exc:
            last = exc
        time.sleep(0.3)
    raise RuntimeError(f"dabai did not become healthy: {last}")


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running dabai with the demo loaded (small, for speed), its worker, and a log in the artifacts."""
    var = tmp_path_factory.mktemp("dabai-var")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DABAI_VAR_DIR=str(var), DABAI_HEARTBEAT_INTERVAL="2", PYTHONUNBUFFERED="1")
    # The server is 127.0.0.1; a page on localhost is another site that embeds the chat widget.
    env.update(DABAI_WIDGET_ORIGINS="localhost")
    # Training a filter model from the desk's corrections: a tiny corpus and no reviews keep it to seconds.
    env.update(DABAI_FILTER_CORPUS=str(FILTER_CORPUS), DABAI_FILTER_TRAIN_REVIEWS="0")
    subprocess.run([DABAI, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    subprocess.run([DABAI, "demo", "--customers", "40", "--conversations", "150"], env=env, check=True)
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / "browser-server.log").open("ab")
    processes = [
        subprocess.Popen(
            [DABAI, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        ),
        subprocess.Popen([DABAI, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT),
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, processes)
        yield url
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """``new_context(locale="zh-CN")``: an isolated profile, closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**kwargs) -> BrowserContext:
        kwargs.setdefault("locale", "zh-CN")
        kwargs.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**kwargs)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def login(live_server_url: str) -> Callable[[Page, str, str], None]:
    """``login(page, username, password)`` signs in through the real login form."""

    def do(page: Page, username: str, password: str) -> None:
        page.goto(f"{live_server_url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("[data-testid=login-form] button[type=submit]")
        page.wait_for_load_state("networkidle")

    return do


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """``screenshot(page, "step")`` saves artifacts/<test>-<step>.png for people to look at."""

    def shoot(page: Page, step: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot
