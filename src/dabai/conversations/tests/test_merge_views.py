"""The merge and split buttons' views and the supervisor's page of recent merges and splits with Undo."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from dabai.conversations import services
from dabai.conversations.models import Conversation, ConversationMerge, ConversationSplit, Status
from dabai.core.choices import Channel
from dabai.testing import CustomerFactory


@pytest.fixture
def pair(db, hotline):
    customer = CustomerFactory(display_name="杜先生")
    wechat = services.receive_message(
        channel=Channel.WECHAT, customer=customer, body="话费多扣了", external_id="w1"
    ).message.conversation
    phone = services.receive_message(
        channel=Channel.PHONE, customer=customer, body="（来电）话费的事", external_id="p1"
    ).message.conversation
    services.receive_message(channel=Channel.PHONE, customer=customer, body="另外宽带也慢", external_id="p2")
    Conversation.objects.filter(pk__in=[wechat.pk, phone.pk]).update(team=hotline)
    return wechat, phone


def test_an_agent_merges_from_the_thread_and_a_supervisor_undoes_it_from_the_list(
    pair, agent, supervisor, client_for
):
    wechat, phone = pair
    response = client_for(agent).post(reverse("conversations:merge", args=[wechat.pk]), {"other": phone.pk})
    assert response.status_code == 302
    merge = ConversationMerge.objects.get()
    assert (merge.surviving_id, merge.absorbed_id) == (wechat.pk, phone.pk)
    assert client_for(agent).get(reverse("conversations:merges")).status_code == 403
    boss = client_for(supervisor)
    page = boss.get(reverse("conversations:merges")).content.decode()
    assert f"#{phone.pk}" in page and reverse("conversations:merge-undo", args=[merge.pk]) in page
    boss.post(reverse("conversations:merge-undo", args=[merge.pk]))
    phone.refresh_from_db()
    assert phone.merged_into_id is None and phone.messages.count() == 2
    page = boss.get(reverse("conversations:merges")).content.decode()
    assert reverse("conversations:merge-undo", args=[merge.pk]) not in page, "undone: no second Undo"


def test_a_refused_merge_says_why_and_moves_nothing(pair, agent, client_for):
    wechat, _ = pair
    stranger = services.receive_message(
        channel=Channel.WECHAT, customer=CustomerFactory(), body="你好", external_id="s1"
    ).message.conversation
    client = client_for(agent)
    response = client.post(reverse("conversations:merge", args=[wechat.pk]), {"other": stranger.pk})
    [said] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "same customer" in said or "同一客户" in said
    assert not ConversationMerge.objects.exists()
    assert client.post(reverse("conversations:merge", args=[wechat.pk]), {"other": "x"}).status_code == 302


def test_an_agent_splits_chosen_messages_off_and_a_supervisor_undoes_it(pair, agent, supervisor, client_for):
    _, phone = pair
    second = phone.messages.get(external_id="p2")
    client_for(agent).post(reverse("conversations:split", args=[phone.pk]), {"message_ids": [second.pk]})
    split = ConversationSplit.objects.get()
    assert list(split.created.messages.values_list("external_id", flat=True)) == ["p2"]
    client_for(supervisor).post(reverse("conversations:split-undo", args=[split.pk]))
    assert sorted(phone.messages.values_list("external_id", flat=True)) == ["p1", "p2"]
    split.created.refresh_from_db()
    assert split.created.status == Status.CLOSED
