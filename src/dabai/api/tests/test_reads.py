"""Reads: the inbox's filters with cursor pages, messages, customers, insights, SLA, knowledge and the filter,
with personal data masked as at the desk unless the token has ``read:pii`` (and then audited)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dabai.accounts.models import AuditEntry
from dabai.conversations.models import Status
from dabai.conversations.services import read_messages, receive_message
from dabai.customers.models import ChannelIdentity
from dabai.filter import analyse_many
from dabai.knowledge.models import ArticleStatus
from dabai.knowledge.services import save_article
from dabai.routing.models import ClockKind
from dabai.routing.services import start_clocks
from dabai.testing import ChannelIdentityFactory, ConversationFactory, CustomerFactory, MessageFactory

pytestmark = pytest.mark.django_db

PHONE_TEXT = "我的手机号是13812345678，快递还没到"


def _conversations(n: int, **fields):
    now = timezone.now()
    return [ConversationFactory(last_message_at=now - timedelta(minutes=i), **fields) for i in range(n)]


def test_conversations_page_by_cursor_in_the_inbox_order_without_gaps_or_repeats(api_for):
    made = _conversations(7)
    client = api_for("read:conversations")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/conversations", params).json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [c.pk for c in made]


def test_conversations_filter_like_the_inbox(api_for, hotline, agent):
    sms = ConversationFactory(channel="sms", team=hotline, assignee=agent)
    ConversationFactory(channel="chat")
    resolved = ConversationFactory(channel="sms", status=Status.RESOLVED)
    client = api_for("read:conversations")

    def ids(**params):
        return {c["id"] for c in client.get("/api/v1/conversations", params).json()["items"]}

    assert ids(channel="sms") == {sms.pk}
    assert ids(channel="sms", status="any") == {sms.pk, resolved.pk}
    assert ids(assignee_id=agent.pk) == {sms.pk}
    assert ids(team_id=hotline.pk) == {sms.pk}
    assert sms.pk not in ids(scope="unassigned")
    assert (
        client.get("/api/v1/conversations", {"cursor": "garbage"}).json()["error"]["code"] == "invalid_cursor"
    )
    bad = client.get("/api/v1/conversations", {"status": "nope"})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "status"


def test_a_team_limited_token_sees_what_an_agent_of_that_team_sees(api_for, hotline, online):
    ours = ConversationFactory(team=hotline)
    theirs = ConversationFactory(team=online)
    client = api_for("read:conversations", "read:messages", teams=[hotline])
    listed = {c["id"] for c in client.get("/api/v1/conversations").json()["items"]}
    assert ours.pk in listed and theirs.pk not in listed
    assert client.get(f"/api/v1/conversations/{theirs.pk}").status_code == 404
    assert client.get(f"/api/v1/conversations/{theirs.pk}/messages").status_code == 404


def test_messages_are_masked_as_at_the_desk_and_read_pii_unmasks_them_audited(api_for):
    customer = CustomerFactory(display_name="13812345678")
    received = receive_message(customer=customer, channel="sms", body=PHONE_TEXT, external_id="m1")
    read_messages([received.message])
    conversation = received.message.conversation
    masked = api_for("read:messages", "read:conversations")
    item = masked.get(f"/api/v1/conversations/{conversation.pk}/messages").json()["items"][0]
    assert "13812345678" not in item["body"] and "138****5678" in item["body"]
    assert item["has_personal_data"] is True
    detail = masked.get(f"/api/v1/conversations/{conversation.pk}").json()
    assert detail["customer"]["display_name"] == "138****5678"
    assert not AuditEntry.objects.filter(action="api.read_personal_data").exists()

    revealing = api_for("read:messages", "read:pii")
    item = revealing.get(f"/api/v1/conversations/{conversation.pk}/messages").json()["items"][0]
    assert item["body"] == PHONE_TEXT
    entry = AuditEntry.objects.get(action="api.read_personal_data")
    assert entry.detail["what"] == "messages" and entry.detail["ids"] == [received.message.pk]
    assert entry.detail["token"] == revealing.api_token.name


def test_customers_with_masked_identities(api_for):
    customer = CustomerFactory(display_name="王女士")
    ChannelIdentityFactory(customer=customer, channel="phone", external_id="13987654321")
    ConversationFactory(customer=customer)
    body = api_for("read:customers").get(f"/api/v1/customers/{customer.pk}").json()
    assert body["display_name"] == "王女士"
    assert body["identities"] == [{"channel": "phone", "value": "139****4321"}]
    found = api_for("read:customers").get("/api/v1/customers", {"q": "13987654321"}).json()["items"]
    assert [c["id"] for c in found] == [customer.pk]
    unmasked = api_for("read:customers", "read:pii").get(f"/api/v1/customers/{customer.pk}").json()
    assert unmasked["identities"][0]["value"] == "13987654321"
    assert ChannelIdentity.objects.filter(customer=customer).count() == 1


def test_insights_are_the_filters_reading_of_each_customer_message(api_for):
    received = receive_message(
        customer=CustomerFactory(),
        channel="chat",
        body="太气人了！我要投诉你们，再不处理就找12315",
        external_id="x",
    )
    read_messages([received.message])
    client = api_for("read:insights")
    insight = client.get(f"/api/v1/messages/{received.message.pk}/insight").json()
    assert insight["escalation_risk"] is True
    assert insight["sentiment"] == "negative"
    page = client.get(f"/api/v1/conversations/{received.message.conversation_id}/insights").json()
    assert [i["message_id"] for i in page["items"]] == [received.message.pk]
    reply = MessageFactory(conversation=received.message.conversation, direction="outbound", body="您好")
    assert client.get(f"/api/v1/messages/{reply.pk}/insight").status_code == 404


def test_sla_state_lists_the_clocks(api_for):
    conversation = ConversationFactory()
    start_clocks(conversation, [ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION], timezone.now())
    body = api_for("read:sla").get(f"/api/v1/conversations/{conversation.pk}/sla").json()
    assert {c["kind"] for c in body["clocks"]} == {"first_response", "resolution"}
    assert body["next_kind"] == "first_response" and body["next_due_at"]


def test_knowledge_lists_reads_and_searches_published_articles(api_for, admin_user):
    article = save_article(
        actor=admin_user,
        title="退货流程",
        body="七天无理由退货，请在订单页申请退货。",
        status=ArticleStatus.PUBLISHED,
    )
    save_article(actor=admin_user, title="草稿：退款", body="退货草稿", status=ArticleStatus.DRAFT)
    client = api_for("read:knowledge")
    assert [a["id"] for a in client.get("/api/v1/knowledge/articles").json()["items"]] == [article.pk]
    assert "七天无理由" in client.get(f"/api/v1/knowledge/articles/{article.pk}").json()["body"]
    hits = client.get("/api/v1/knowledge/search", {"q": "怎么退货"}).json()["hits"]
    assert [h["article"]["id"] for h in hits] == [article.pk]


def test_the_filter_endpoint_speaks_the_clis_json(api_for):
    texts = [{"id": "a", "text": PHONE_TEXT, "channel": "sms"}, {"text": "谢谢，问题解决了"}]
    body = api_for("use:filter").post("/api/v1/filter/analyse", {"items": texts}).json()
    expected = analyse_many([(PHONE_TEXT, "sms"), ("谢谢，问题解决了", None)])
    assert body["results"] == [{"id": "a", **expected[0].to_dict()}, {"id": 2, **expected[1].to_dict()}]
