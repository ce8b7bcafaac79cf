"""Writes go through the desk's services with the desk's checks, are audited with the token's name, and bad
input changes nothing."""

import pytest

from dabai.accounts.models import AuditEntry
from dabai.channels.models import InboundPayload
from dabai.conversations.models import DeliveryStatus, Direction, Message, Status
from dabai.customers.models import CustomerMerge
from dabai.testing import ChannelIdentityFactory, ConversationFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_reply_goes_out_like_the_desks_and_is_audited_with_the_tokens_name(api_for):
    conversation = ConversationFactory(channel="sms")
    client = api_for("write:messages", name="Order system")
    response = client.post(f"/api/v1/conversations/{conversation.pk}/messages", {"body": "您的订单已发出"})
    assert response.status_code == 201, response.content
    body = response.json()
    message = Message.objects.get(pk=body["id"])
    assert message.direction == Direction.OUTBOUND and message.delivery_status == DeliveryStatus.QUEUED
    assert body["author"]["name"] == "API · Order system"
    entry = AuditEntry.objects.get(action="api.message.reply")
    assert entry.detail["token"] == "Order system" and entry.object_id == str(message.pk)


def test_a_note_stays_internal(api_for):
    conversation = ConversationFactory()
    response = api_for("write:messages").post(
        f"/api/v1/conversations/{conversation.pk}/messages", {"kind": "note", "body": "客户是老会员"}
    )
    assert response.status_code == 201
    assert Message.objects.get(pk=response.json()["id"]).direction == Direction.NOTE


def test_personal_data_in_a_public_reply_is_refused_and_nothing_is_stored(api_for):
    conversation = ConversationFactory(channel="weibo", is_public=True)
    response = api_for("write:messages").post(
        f"/api/v1/conversations/{conversation.pk}/messages", {"body": "请拨打13812345678联系我们"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "personal_data_in_public"
    assert error["fields"][0]["field"] == "body"
    assert "私信" in error["message"]["zh"]
    assert not Message.objects.filter(conversation=conversation).exists()
    assert not AuditEntry.objects.filter(action__startswith="api.message").exists()


def test_bad_input_names_the_field_and_bad_json_is_a_400(api_for):
    conversation = ConversationFactory()
    client = api_for("write:messages")
    response = client.post(f"/api/v1/conversations/{conversation.pk}/messages", {"body": "   "})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body"
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages", {"kind": "shout", "body": "x"}
    )
    assert response.json()["error"]["fields"][0] == {
        "field": "kind",
        "code": "literal_error",
        "message": {"en": response.json()["error"]["fields"][0]["message"]["en"], "zh": "不是允许的取值。"},
    }
    response = client.post(f"/api/v1/conversations/{conversation.pk}/messages", raw=b"{not json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"
    assert client.post("/api/v1/conversations/999999/messages", {"body": "x"}).status_code == 404
    assert not Message.objects.exists()


def test_assign_and_status_through_the_desks_services(api_for, agent, hotline):
    conversation = ConversationFactory()
    client = api_for("write:conversations", "read:conversations", name="CRM")
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/assign", {"assignee_id": agent.pk, "team_id": hotline.pk}
    )
    assert response.status_code == 200
    assert response.json()["assignee"]["id"] == agent.pk
    conversation.refresh_from_db()
    assert conversation.assignee == agent and conversation.team == hotline
    service_entry = AuditEntry.objects.get(action="conversation.assign")
    assert str(service_entry.actor) == "API · CRM"
    assert AuditEntry.objects.get(action="api.conversation.assign").detail["token"] == "CRM"

    response = client.post(f"/api/v1/conversations/{conversation.pk}/status", {"status": "resolved"})
    assert response.json()["status"] == "resolved"
    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED and conversation.resolved_at is not None

    for nobody in (10**9, client.api_token.service_user.pk):  # unknown, or an automated account
        response = client.post(f"/api/v1/conversations/{conversation.pk}/assign", {"assignee_id": nobody})
        assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "assignee_id"


def test_merge_customers(api_for):
    source, target = CustomerFactory(), CustomerFactory()
    ChannelIdentityFactory(customer=source)
    conversation = ConversationFactory(customer=source)
    client = api_for("write:customers")
    response = client.post(f"/api/v1/customers/{source.pk}/merge", {"into": target.pk})
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.customer == target
    assert CustomerMerge.objects.get().pk == response.json()["merge_id"]
    again = client.post(f"/api/v1/customers/{target.pk}/merge", {"into": target.pk})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_the_api_channel_stores_each_idempotency_key_once(api_for):
    client = api_for("write:inbound", "read:messages")
    message = {"source": "line", "customer": {"id": "U123", "name": "小林"}, "text": "我的订单到哪了？"}
    first = client.post("/api/v1/inbound/messages", message, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/inbound/messages", message, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    stored = Message.objects.get(pk=first.json()["message_id"])
    assert stored.channel == "api" and stored.external_id == "line:k-1"
    assert stored.conversation.customer.identities.get().external_id == "line:U123"
    assert InboundPayload.objects.filter(channel="api").count() == 1
    second = client.post("/api/v1/inbound/messages", message, headers={"Idempotency-Key": "k-2"})
    assert second.json()["conversation_id"] == first.json()["conversation_id"]
    missing = client.post("/api/v1/inbound/messages", message)
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"][0]["field"] == "Idempotency-Key"
