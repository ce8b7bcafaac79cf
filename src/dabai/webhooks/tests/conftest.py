"""A real local receiver (pytest-httpserver) that can be told to fail, and a way to let deliveries run."""

import json
from dataclasses import dataclass, field

import pytest
from werkzeug import Request, Response

from dabai.testing import run_queued_tasks
from dabai.webhooks import services


@dataclass
class Receiver:
    """Answers ``fail_first`` calls with ``failure`` (status, headers), then 200; records every call."""

    url: str
    fail_first: int = 0
    failure: tuple[int, dict] = (503, {})
    calls: list[dict] = field(default_factory=list)

    def handle(self, request: Request) -> Response:
        body = request.get_data()
        self.calls.append({"headers": dict(request.headers), "body": body, "json": json.loads(body)})
        if len(self.calls) <= self.fail_first:
            status, headers = self.failure
            return Response("down for maintenance", status=status, headers=headers)
        return Response("ok", status=200)

    @property
    def ids(self) -> list[str]:
        return [c["headers"]["Webhook-Id"] for c in self.calls]


@pytest.fixture
def allow_private(db, admin_user):
    """The admin setting that lets webhooks reach loopback (the test receiver lives there)."""
    return services.set_policy(allow_private_addresses=True, actor=admin_user)


@pytest.fixture
def receiver(httpserver, allow_private):
    made = Receiver(httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_handler(made.handle)
    return made


@pytest.fixture
def endpoint(receiver, admin_user):
    return services.create_endpoint("CRM", receiver.url, [], actor=admin_user)


@pytest.fixture
def deliver_all(django_capture_on_commit_callbacks):
    """Let time pass and the worker run until nothing is left to do (retries included)."""

    def run(rounds: int = 40) -> int:
        total = 0
        for _ in range(rounds):
            with django_capture_on_commit_callbacks(execute=True):
                ran = run_queued_tasks(include_future=True)
            total += ran
            if not ran:
                break
        return total

    return run


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block
