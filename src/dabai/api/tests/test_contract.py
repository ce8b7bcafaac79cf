"""The contract: schemathesis generates requests from the OpenAPI schema the code publishes and checks that
no input gets a 500 and every response (errors included) matches the schema. Bounded in examples so
``make test`` stays fast; the suite runs it on SQLite and PostgreSQL."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dabai.api import services
from dabai.conversations.services import read_messages, receive_message
from dabai.knowledge.models import ArticleStatus
from dabai.knowledge.services import save_article
from dabai.routing.models import ClockKind
from dabai.routing.services import start_clocks
from dabai.testing import ChannelIdentityFactory, CustomerFactory
from dabai.webhooks import guard

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def contract_world(db, admin_user, monkeypatch):
    """A small centre: a customer with a handle, a read conversation with a clock, an article; and a token
    that may do everything (personal data too) with a limit the run never reaches. Webhook URLs resolve
    without any name server (to a documentation address, which the SSRF guard refuses)."""
    monkeypatch.setattr(guard, "resolve", lambda host, port: {"203.0.113.7"})
    customer = CustomerFactory(display_name="李先生")
    ChannelIdentityFactory(customer=customer, channel="sms", external_id="13812345678")
    received = receive_message(
        customer=customer, channel="sms", body="我的手机号13812345678，订单没到", external_id="c1"
    )
    read_messages([received.message])
    start_clocks(received.message.conversation, [ClockKind.FIRST_RESPONSE], timezone.now())
    save_article(actor=admin_user, title="退货", body="七天无理由退货", status=ArticleStatus.PUBLISHED)
    _, plaintext = services.create_token(
        "contract", ["admin", "read:pii"], actor=admin_user, rate_limit_per_minute=100000
    )
    # Requests run in the test's transaction, as Django's test client runs them: a request must not close
    # the connection (a new one cannot open inside the atomic block).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield plaintext
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Loaded through the application itself (no server): the schema the docs page shows, requests in-process.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_generated_request_gets_a_documented_answer(case, contract_world):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {contract_world}"}
    response = case.call()
    case.validate_response(response, checks=CHECKS)


@pytest.mark.django_db
def test_the_docs_page_and_the_schema_are_public(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"swagger-ui" in page.content
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/conversations" in document["paths"]
    assert document["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
