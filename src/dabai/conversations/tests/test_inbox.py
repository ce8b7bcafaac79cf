"""The agent's inbox and conversation page: filters, search, paging, replying, notes, assigning."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dabai.accounts.models import AuditEntry
from dabai.conversations.models import Conversation, DeliveryStatus, Direction, Message, Status
from dabai.core.choices import Channel
from dabai.testing import ChannelIdentityFactory, ConversationFactory, CustomerFactory, MessageFactory

INBOX = reverse("desk:inbox")


def listed(client, **params) -> set[int]:
    return {c.pk for c in client.get(INBOX, params).context["page"]}


@pytest.fixture
def desk(db, agent, hotline):
    other = ConversationFactory(team=hotline, channel=Channel.EMAIL, status=Status.PENDING)
    mine = ConversationFactory(team=hotline, channel=Channel.PHONE, assignee=agent)
    unassigned = ConversationFactory(team=hotline, channel=Channel.WEIBO)
    return {"mine": mine, "unassigned": unassigned, "pending_email": other}


def test_inbox_filters_by_status_channel_and_scope(desk, agent, client_for):
    client = client_for(agent)
    assert listed(client) == {desk["mine"].pk, desk["unassigned"].pk}, "open conversations by default"
    assert listed(client, status="pending") == {desk["pending_email"].pk}
    assert listed(client, status="active", channel="weibo") == {desk["unassigned"].pk}
    assert listed(client, status="", scope="mine") == {desk["mine"].pk}
    assert listed(client, status="", scope="unassigned") == {desk["unassigned"].pk, desk["pending_email"].pk}


def test_inbox_finds_a_customer_by_name_or_phone_number(db, agent, hotline, client_for):
    customer = CustomerFactory(display_name="欧阳娜娜")
    ChannelIdentityFactory(customer=customer, channel=Channel.PHONE, external_id="13700001234")
    conversation = ConversationFactory(customer=customer, team=hotline)
    ConversationFactory(team=hotline)
    client = client_for(agent)
    assert listed(client, q="欧阳") == {conversation.pk}
    assert listed(client, q="13700001234") == {conversation.pk}


def test_inbox_pages_newest_first_with_a_fixed_number_of_queries(db, agent, hotline, client_for):
    ConversationFactory.create_batch(60, team=hotline)
    client = client_for(agent)
    page1 = client.get(INBOX)
    page3 = client.get(INBOX, {"page": 3})
    assert len(page1.context["page"]) == 25 and len(page3.context["page"]) == 10
    stamps = [c.last_message_at for c in page1.context["page"]]
    assert stamps == sorted(stamps, reverse=True)
    counts = []
    for per_page in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            from django.conf import settings

            settings.DABAI["INBOX_PAGE_SIZE"] = per_page
            try:
                client.get(INBOX)
            finally:
                settings.DABAI["INBOX_PAGE_SIZE"] = 25
        counts.append(len(queries))
    assert counts[0] == counts[1], f"queries per page must not grow with page size: {counts}"


def test_htmx_filter_returns_only_the_list_fragment(desk, agent, client_for):
    response = client_for(agent).get(INBOX, {"channel": "phone"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and 'data-testid="inbox-list"' in body


def test_reply_is_stored_as_outbound_and_marks_first_response(desk, agent, client_for):
    conversation = desk["unassigned"]
    MessageFactory(conversation=conversation)
    response = client_for(agent).post(
        reverse("desk:send", args=[conversation.pk]),
        {"body": "您好，已为您登记，师傅明天上午上门。", "kind": "reply"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "师傅明天上午上门" in response.content.decode()
    reply = Message.objects.get(direction=Direction.OUTBOUND)
    assert reply.author == agent and reply.delivery_status == DeliveryStatus.QUEUED
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None
    assert conversation.assignee == agent, "whoever answers an unassigned conversation takes it"


def test_internal_note_is_not_a_reply(desk, agent, client_for):
    conversation = desk["mine"]
    client_for(agent).post(
        reverse("desk:send", args=[conversation.pk]),
        {"body": "客户是老年人，说话慢一点", "kind": "note"},
    )
    note = Message.objects.get()
    assert note.direction == Direction.NOTE
    conversation.refresh_from_db()
    assert conversation.first_response_at is None


def test_empty_reply_is_refused(desk, agent, client_for):
    client_for(agent).post(reverse("desk:send", args=[desk["mine"].pk]), {"body": "   ", "kind": "reply"})
    assert not Message.objects.exists()


def test_assigning_and_resolving_are_audited(desk, agent, other_agent, supervisor, client_for):
    conversation = desk["unassigned"]
    client = client_for(supervisor)
    client.post(reverse("desk:assign", args=[conversation.pk]), {"assignee": agent.pk})
    client.post(reverse("desk:status", args=[conversation.pk]), {"status": Status.RESOLVED})
    conversation.refresh_from_db()
    assert conversation.assignee == agent
    assert conversation.status == Status.RESOLVED and conversation.resolved_at is not None
    actions = list(AuditEntry.objects.filter(actor=supervisor).values_list("action", flat=True))
    assert sorted(actions) == ["conversation.assign", "conversation.status"]


def test_conversation_page_shows_the_thread_in_order(desk, agent, client_for):
    conversation = desk["mine"]
    MessageFactory(conversation=conversation, body="第一条")
    MessageFactory(conversation=conversation, body="第二条", direction=Direction.OUTBOUND, author=agent)
    body = client_for(agent).get(reverse("desk:detail", args=[conversation.pk])).content.decode()
    assert body.index("第一条") < body.index("第二条")


def test_customer_profile_lists_conversations_across_channels(db, agent, hotline, client_for):
    customer = CustomerFactory()
    ConversationFactory(customer=customer, channel=Channel.PHONE, team=hotline)
    ConversationFactory(customer=customer, channel=Channel.WECHAT, team=None)
    response = client_for(agent).get(reverse("customers:detail", args=[customer.pk]))
    assert {c.channel for c in response.context["conversations"]} == {Channel.PHONE, Channel.WECHAT}
    assert Conversation.objects.count() == 2


def test_a_bots_answer_is_not_the_first_human_response(desk):
    from dabai.conversations.services import post_reply
    from dabai.testing import UserFactory

    bot = UserFactory(username="bot", is_automated=True)
    conversation = desk["unassigned"]
    post_reply(conversation, bot, "您好，这篇帮助文章也许能解答：退款多久到账？")
    conversation.refresh_from_db()
    assert conversation.first_response_at is None
    assert conversation.assignee is None, "the conversation stays in the queue for a person"
