"""The integrator's day, from the docs page alone: a token, a subscription, a customer message from their own
channel, a reply through the API, and signed events that survive the receiver's downtime."""

import pytest
from standardwebhooks import Webhook

from dabai.testing import run_queued_tasks
from dabai.webhooks import services as webhook_services
from dabai.webhooks.models import Delivery, DeliveryStatus
from dabai.webhooks.tests.conftest import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(httpserver, admin_user):
    webhook_services.set_policy(allow_private_addresses=True, actor=admin_user)
    made = Receiver(httpserver.url_for("/events"))
    httpserver.expect_request("/events", method="POST").respond_with_handler(made.handle)
    return made


def _run(capture, rounds: int = 40) -> None:
    for _ in range(rounds):
        with capture(execute=True):
            if not run_queued_tasks(include_future=True):
                return


def test_an_integrator_brings_a_channel_replies_and_receives_signed_events(
    api_for, receiver, django_capture_on_commit_callbacks
):
    client = api_for("admin", name="Shop bridge")
    created = client.post(
        "/api/v1/webhooks/endpoints",
        {"name": "shop", "url": receiver.url, "events": ["message.received", "message.sent"]},
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    receiver.fail_first = 3

    with django_capture_on_commit_callbacks(execute=True):
        inbound = client.post(
            "/api/v1/inbound/messages",
            {
                "source": "shop-app",
                "customer": {"id": "u-42", "name": "小周"},
                "text": "我的订单怎么还没发货？",
            },
            headers={"Idempotency-Key": "order-42-q1"},
        )
    assert inbound.status_code == 201
    conversation_id = inbound.json()["conversation_id"]
    listed = client.get("/api/v1/conversations").json()["items"]
    assert [c["id"] for c in listed] == [conversation_id]

    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(
            f"/api/v1/conversations/{conversation_id}/messages", {"body": "已为您催促仓库，今天发出。"}
        )
    assert reply.status_code == 201
    _run(django_capture_on_commit_callbacks)

    accepted = receiver.calls[3:]
    assert [c["json"]["type"] for c in accepted] == ["message.received", "message.sent"]
    first, second = (c["json"]["data"]["sequence"] for c in accepted)
    assert first < second  # one conversation: its events are numbered in order
    for call in accepted:
        Webhook(secret).verify(call["body"], call["headers"])
    assert accepted[1]["json"]["data"]["message_id"] == reply.json()["id"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}

    log = client.get(f"/api/v1/webhooks/endpoints/{created.json()['id']}/deliveries").json()["items"]
    received_log = next(d for d in log if d["event_type"] == "message.received")
    assert [a["status_code"] for a in received_log["attempt_log"]] == [503, 503, 503, 200]


def test_webhook_urls_on_private_networks_are_refused_through_the_api(api_for):
    response = api_for("admin").post(
        "/api/v1/webhooks/endpoints", {"name": "x", "url": "http://169.254.169.254/", "events": []}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "url"
    assert api_for("read:conversations").get("/api/v1/webhooks/endpoints").status_code == 403
