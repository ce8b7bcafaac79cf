"""A burst of messages (a webhook storm, a drained queue) is stored and read set-wise, with the same rules."""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dabai.conversations import services
from dabai.conversations.models import Conversation, Insight, Message, Priority
from dabai.conversations.services import Inbound
from dabai.conversations.signals import messages_received
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity, Customer
from dabai.customers.services import Handle


def sms(number: str, text: str = "话费多扣了五十元", external_id: str | None = None) -> Inbound:
    return Inbound(
        channel=Channel.SMS,
        body=text,
        handle=Handle(Channel.SMS, number, handle=number),
        external_id=external_id or f"sms-{number}",
    )


def burst(size: int, prefix: str) -> list[Inbound]:
    return [sms(f"139{prefix}{i:05d}") for i in range(size)]


def queries_to_receive(items: list[Inbound]) -> int:
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        services.receive_messages(items, analyse=False)
    return len(captured.captured_queries)


def test_a_burst_from_new_numbers_becomes_one_customer_and_conversation_each(db):
    received = services.receive_messages(burst(30, "1"))
    assert all(r.created for r in received)
    assert Customer.objects.count() == 30
    assert ChannelIdentity.objects.filter(channel=Channel.SMS).count() == 30
    assert Conversation.objects.filter(message_count=1).count() == 30
    assert [r.message.body for r in received] == ["话费多扣了五十元"] * 30


def test_storing_a_burst_costs_the_same_queries_for_5_or_50_messages(db, monkeypatch):
    monkeypatch.setattr(messages_received, "receivers", [])  # routing's share is measured in routing
    small = queries_to_receive(burst(5, "2"))
    large = queries_to_receive(burst(50, "3"))
    assert large == small, f"{small} queries for 5 messages, {large} for 50: something went per-message"


def test_a_message_twice_in_one_burst_and_again_later_is_stored_once(db):
    first = services.receive_messages([sms("13911112222", external_id="x-1")] * 2 + [sms("13911113333")])
    again = services.receive_messages([sms("13911112222", external_id="x-1")])
    assert [r.created for r in first] == [True, False, True]
    assert first[0].message.pk == first[1].message.pk == again[0].message.pk
    assert not again[0].created
    assert Message.objects.filter(external_id="x-1").count() == 1
    assert Conversation.objects.get(messages__external_id="x-1").message_count == 1


def test_two_messages_from_one_customer_in_a_burst_share_a_conversation_opened_once(db):
    seen = []

    def listen(sender, arrivals: list, **kwargs):
        seen.extend(arrivals)

    messages_received.connect(listen)
    try:
        services.receive_messages([sms("13922223333", "在吗", "a"), sms("13922223333", "我要退款", "b")])
    finally:
        messages_received.disconnect(listen)
    conversation = Conversation.objects.get()
    assert conversation.message_count == 2
    assert conversation.preview == "我要退款"
    assert [a.new_conversation for a in seen] == [True, False]


def test_a_mobile_number_new_on_sms_and_phone_in_one_burst_is_one_customer(db):
    services.receive_messages(
        [
            sms("13933334444"),
            Inbound(channel=Channel.PHONE, body="来电", handle=Handle(Channel.PHONE, "13933334444")),
        ]
    )
    assert Customer.objects.count() == 1
    assert ChannelIdentity.objects.count() == 2


def test_reading_a_burst_stores_every_insight_and_raises_urgent_priorities(db):
    received = services.receive_messages(
        [sms("13944445555", "你好，请问发票怎么开"), sms("13944446666", "再不退款我就投诉到工信部！！")],
        analyse=False,
    )
    insights = services.read_messages([r.message for r in received])
    assert Insight.objects.count() == 2
    assert insights[1].escalation_risk
    calm, angry = (Conversation.objects.get(pk=r.message.conversation_id) for r in received)
    assert angry.priority > calm.priority >= Priority.LOW
    services.read_messages([received[0].message])
    assert Insight.objects.count() == 2, "reading a message again replaces its insight"
