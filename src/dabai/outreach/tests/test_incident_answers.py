"""An ongoing incident reaches the desk's draft and the bot: affected customers' questions are answered with
the incident's status at once, unaffected ones and questions after the fix are not."""

import pytest
from django.urls import reverse
from django.utils import timezone

from dabai.conversations.models import Direction
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.customers.models import CustomerTag
from dabai.desk.selectors import draft_for
from dabai.knowledge.models import BotEvent
from dabai.outreach.models import IncidentLink
from dabai.outreach.services import incidents
from dabai.testing import CustomerFactory, run_queued_tasks

pytestmark = pytest.mark.django_db

MESSAGE = "朝阳区宽带因光缆故障中断，预计今晚20点前恢复"


@pytest.fixture
def outage(db, supervisor):
    return incidents.declare(
        title="朝阳区宽带中断",
        service="宽带",
        areas="朝阳区",
        keywords="断网,上不了网",
        message=MESSAGE,
        started_at=timezone.now(),
        actor=supervisor,
    )


def customer_in(area: str, name: str = "王小明"):
    customer = CustomerFactory(display_name=name)
    customer.tags.add(CustomerTag.objects.get_or_create(name=area)[0])
    return customer


def writes(commit, customer, body: str, channel: str = Channel.CHAT):
    """The customer writes; the worker runs the filter, then the bot and the deliveries, as in production."""
    with commit():
        conversation = receive_message(channel=channel, customer=customer, body=body).message.conversation
    while True:
        with commit():
            if not run_queued_tasks():
                break
    conversation.refresh_from_db()
    return conversation


def said(conversation) -> list[str]:
    return list(
        conversation.messages.filter(direction=Direction.OUTBOUND)
        .order_by("id")
        .values_list("body", flat=True)
    )


def test_the_draft_for_an_affected_customer_starts_from_the_incident(commit, outage, agent):
    conversation = writes(commit, customer_in("朝阳区"), "家里又断网了，到底什么时候能好？", Channel.SMS)
    draft = draft_for(conversation, agent)
    assert draft is not None and "notice" in draft.reasons
    assert draft.text.startswith("【大白客服】王小明您好，"), draft.text  # SMS: signature and greeting, then
    body = draft.text.split("您好，", 1)[1]
    assert body.startswith(MESSAGE), draft.text
    assert "【请补充答复】" not in draft.text and "核实" not in draft.text


def test_an_email_draft_is_formal_and_starts_from_the_incident(commit, outage, agent):
    conversation = writes(commit, customer_in("朝阳区"), "宽带上不了网了", Channel.EMAIL)
    paragraphs = draft_for(conversation, agent).text.split("\n\n")
    assert paragraphs[0] == "尊敬的王小明：" and paragraphs[2] == MESSAGE + "。"


def test_the_desk_shows_the_incident_banner_with_a_link(commit, outage, supervisor, client_for):
    conversation = writes(commit, customer_in("朝阳区"), "断网了", Channel.SMS)
    page = client_for(supervisor).get(reverse("desk:detail", args=[conversation.pk])).content.decode()
    assert 'data-testid="conversation-notice"' in page
    assert reverse("outreach:incident", args=[outage.pk]) in page and "朝阳区宽带中断" in page


def test_the_bot_answers_an_affected_customer_with_the_incident_and_offers_a_person(commit, outage):
    conversation = writes(commit, customer_in("朝阳区"), "你们宽带是不是坏了，一直上不了网")
    (answer,) = said(conversation)
    assert answer.startswith(f"{incidents.AUTO_PREFIX}{MESSAGE}") and "人工" in answer
    event = conversation.bot_events.get()
    assert event.reason == BotEvent.Reason.INSTANT and event.topic == "朝阳区宽带中断"
    assert IncidentLink.objects.get(incident=outage).conversation == conversation
    assert IncidentLink.objects.get(incident=outage).answered
    assert conversation.assignee_id is None  # the bot's answer leaves the conversation for a person


def test_an_angry_affected_customer_hears_the_incident_then_where_they_stand_in_the_queue(commit, outage):
    conversation = writes(commit, customer_in("朝阳区"), "又断网了！转人工")
    first, second = said(conversation)
    assert first.startswith(f"{incidents.AUTO_PREFIX}{MESSAGE}")
    assert MESSAGE not in second
    actions = list(conversation.bot_events.order_by("id").values_list("action", flat=True))
    assert actions == [BotEvent.Action.ANSWER, BotEvent.Action.HAND_OVER]


def test_an_unaffected_customer_gets_neither_the_incident_draft_nor_the_bot_answer(commit, outage, agent):
    chat = writes(commit, customer_in("海淀区", "李娜"), "宽带上不了网怎么办")
    sms = writes(commit, customer_in("海淀区", "张伟"), "家里断网了", Channel.SMS)
    assert not any(MESSAGE in text for text in said(chat) + said(sms))
    assert not chat.bot_events.filter(reason=BotEvent.Reason.INSTANT).exists()
    assert "notice" not in draft_for(sms, agent).reasons and MESSAGE not in draft_for(sms, agent).text
    assert not IncidentLink.objects.exists()


def test_after_the_incident_is_resolved_neither_the_draft_nor_the_bot_mention_it(
    commit, outage, agent, supervisor
):
    sms = writes(commit, customer_in("朝阳区"), "断网了", Channel.SMS)
    with commit():
        incidents.resolve(outage, supervisor)
    assert MESSAGE not in draft_for(sms, agent).text
    chat = writes(commit, customer_in("朝阳区", "李娜"), "宽带还是上不了网")
    assert not any(MESSAGE in text for text in said(chat))
    assert not chat.bot_events.filter(reason=BotEvent.Reason.INSTANT).exists()


def test_a_conversation_from_before_the_declaration_gets_the_draft_too(commit, agent, supervisor):
    conversation = writes(commit, customer_in("朝阳区"), "宽带断网了", Channel.SMS)
    incidents.declare(
        title="朝阳区宽带中断",
        service="宽带",
        areas="朝阳区",
        keywords="断网",
        message=MESSAGE,
        started_at=timezone.now(),
        actor=supervisor,
    )
    assert MESSAGE in draft_for(conversation, agent).text


def test_the_portal_tells_customers_in_the_area_until_the_incident_is_resolved(outage, supervisor):
    from django.test import Client

    from dabai.portal.services import portal_user_for

    def portal_page(customer) -> str:
        client = Client()
        client.force_login(portal_user_for(customer))
        return client.get(reverse("portal:home")).content.decode()

    affected, elsewhere = customer_in("朝阳区"), customer_in("海淀区", "李娜")
    page = portal_page(affected)
    assert 'data-testid="portal-notices"' in page and MESSAGE in page and "朝阳区宽带中断" in page
    assert MESSAGE not in portal_page(elsewhere)
    incidents.resolve(outage, supervisor)
    assert MESSAGE not in portal_page(affected)
