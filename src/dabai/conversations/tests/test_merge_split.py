"""Merging two conversations of one customer and splitting messages off: audited, refused when wrong, and
undone by a supervisor to exactly the threads there were."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from dabai.accounts.models import AuditEntry
from dabai.conversations import services
from dabai.conversations.models import Conversation, ConversationMerge, Direction, Message, Status
from dabai.core.choices import Channel
from dabai.testing import CustomerFactory

# Routing keeps the SLA clocks; conversations never import it (the arrows point one way), so its model is
# looked up by name: these tests check what routing does when it hears a snooze, a status change or a merge.
SlaClock = apps.get_model("routing", "SlaClock")

T0 = timezone.now().replace(microsecond=0) - timedelta(hours=3)
COLUMNS = [
    "status",
    "message_count",
    "last_message_at",
    "last_inbound_at",
    "first_response_at",
    "preview",
    "resolved_at",
    "closed_at",
    "priority",
    "merged_into_id",
]


def write(customer, channel, body, minutes, key, conversation=None):
    return services.receive_message(
        channel=channel,
        customer=customer,
        body=body,
        external_id=key,
        sent_at=T0 + timedelta(minutes=minutes),
        conversation=conversation,
    ).message


@pytest.fixture
def customer(db):
    return CustomerFactory(display_name="杜女士")


@pytest.fixture
def pair(customer, hotline, django_capture_on_commit_callbacks):
    """One customer's WeChat and phone conversations about the same outage, their messages interleaved."""
    with django_capture_on_commit_callbacks(execute=True):
        write(customer, Channel.WECHAT, "宽带断了，手机13912345678", 0, "w1")
        write(customer, Channel.PHONE, "（来电）家里断网", 10, "p1")
        write(customer, Channel.WECHAT, "师傅什么时候来", 20, "w2")
        write(customer, Channel.PHONE, "（来电）还是没网", 30, "p2")
    wechat = Conversation.objects.get(channel=Channel.WECHAT)
    phone = Conversation.objects.get(channel=Channel.PHONE)
    Conversation.objects.filter(pk__in=[wechat.pk, phone.pk]).update(team=hotline)  # routed to hotline
    wechat.refresh_from_db()
    phone.refresh_from_db()
    return wechat, phone


def thread(conversation: Conversation) -> list[str]:
    return list(conversation.messages.order_by("sent_at", "id").values_list("external_id", flat=True))


def snapshot(*conversations: Conversation) -> dict:
    return {
        c.pk: (thread(c), Conversation.objects.filter(pk=c.pk).values(*COLUMNS).get()) for c in conversations
    }


def test_merging_interleaves_the_threads_by_time_and_closes_the_absorbed_one(pair, agent):
    wechat, phone = pair
    merge = services.merge_conversations(surviving=wechat, absorbed=phone, actor=agent)
    assert thread(wechat) == ["w1", "p1", "w2", "p2"]
    assert wechat.message_count == 4
    assert wechat.last_inbound_at == T0 + timedelta(minutes=30)
    assert wechat.preview == "（来电）还是没网"
    assert phone.status == Status.CLOSED and phone.merged_into_id == wechat.pk
    assert phone.message_count == 0 and thread(phone) == []
    assert sorted(merge.moved_message_ids) == sorted(
        Message.objects.filter(channel=Channel.PHONE).values_list("pk", flat=True)
    )
    assert AuditEntry.objects.filter(
        action="conversation.merged", object_id=str(wechat.pk), actor=agent
    ).exists()
    assert AuditEntry.objects.filter(action="conversation.merged_away", object_id=str(phone.pk)).exists()


def test_the_absorbed_clocks_end_and_the_survivors_carry_on(pair, agent, django_capture_on_commit_callbacks):
    wechat, phone = pair
    with django_capture_on_commit_callbacks(execute=True):
        services.merge_conversations(surviving=wechat, absorbed=phone, actor=agent)
    assert not SlaClock.objects.filter(conversation=phone, state="running").exists()
    assert SlaClock.objects.filter(conversation=wechat, state="running").exists()


def test_a_customer_writing_into_the_absorbed_thread_reaches_the_survivor(pair, agent):
    wechat, phone = pair
    services.merge_conversations(surviving=wechat, absorbed=phone, actor=agent)
    late = write(phone.customer, Channel.PHONE, "（来电）人呢", 40, "p3", conversation=phone)
    assert late.conversation_id == wechat.pk
    phone.refresh_from_db()
    assert phone.status == Status.CLOSED, "the absorbed conversation does not reopen"


def test_a_resolved_survivor_reopens_when_the_absorbed_one_still_waits_for_an_answer(pair, agent):
    wechat, phone = pair
    services.change_status(wechat, Status.RESOLVED, actor=agent)
    services.merge_conversations(surviving=wechat, absorbed=phone, actor=agent)
    assert wechat.status == Status.OPEN


def test_a_snoozed_survivor_wakes_when_the_absorbed_one_still_waits(pair, agent, supervisor):
    wechat, phone = pair
    later = timezone.now() + timedelta(hours=4)
    services.snooze(wechat, until=later, actor=agent)
    merge = services.merge_conversations(surviving=wechat, absorbed=phone, actor=agent)
    assert not wechat.is_snoozed
    services.undo_merge(merge, actor=supervisor)
    wechat.refresh_from_db()
    assert wechat.snoozed_until == later, "undone: asleep again until its time"


def test_clear_cases_are_refused_with_a_clear_reason_and_nothing_moves(pair, agent, hotline):
    wechat, phone = pair
    stranger = services.receive_message(
        channel=Channel.WECHAT, customer=CustomerFactory(), body="你好", external_id="s1"
    ).message.conversation
    before = snapshot(wechat, phone)
    with pytest.raises(services.CannotMerge, match="into itself"):
        services.merge_conversations(surviving=wechat, absorbed=wechat, actor=agent)
    with pytest.raises(services.CannotMerge, match="same customer"):
        services.merge_conversations(surviving=wechat, absorbed=stranger, actor=agent)
    services.change_status(phone, Status.CLOSED, actor=agent)
    with pytest.raises(services.CannotMerge, match="closed"):
        services.merge_conversations(surviving=phone, absorbed=wechat, actor=agent)
    services.change_status(phone, Status.OPEN, actor=agent)
    after = snapshot(wechat, phone)
    assert {pk: t for pk, (t, _) in after.items()} == {pk: t for pk, (t, _) in before.items()}
    assert not ConversationMerge.objects.exists()
    services.merge_conversations(surviving=wechat, absorbed=phone, actor=agent)
    with pytest.raises(services.CannotMerge, match="already been merged"):
        services.merge_conversations(surviving=wechat, absorbed=phone, actor=agent)


def test_an_agent_cannot_merge_conversations_they_may_not_open(pair, other_agent):
    wechat, phone = pair
    with pytest.raises(PermissionDenied):
        services.merge_conversations(surviving=wechat, absorbed=phone, actor=other_agent)


def test_a_supervisor_undoes_a_merge_to_exactly_the_threads_there_were(pair, agent, supervisor):
    wechat, phone = pair
    services.post_reply(wechat, agent, "您好，已为您派单")
    services.add_note(phone, agent, "来电客户很着急")
    before = snapshot(wechat, phone)
    merge = services.merge_conversations(surviving=wechat, absorbed=phone, actor=agent)
    with pytest.raises(PermissionDenied):
        services.undo_merge(merge, actor=agent)
    services.undo_merge(merge, actor=supervisor)
    assert snapshot(wechat, phone) == before
    with pytest.raises(services.CannotUndo, match="already"):
        services.undo_merge(merge, actor=supervisor)
    assert AuditEntry.objects.filter(action="conversation.merge_undone", actor=supervisor).count() == 2


def test_undoing_a_merge_leaves_messages_that_arrived_after_it_where_they_arrived(pair, agent, supervisor):
    wechat, phone = pair
    merge = services.merge_conversations(surviving=wechat, absorbed=phone, actor=agent)
    write(wechat.customer, Channel.WECHAT, "修好了吗", 50, "w3")
    services.undo_merge(merge, actor=supervisor)
    assert thread(wechat) == ["w1", "w2", "w3"]
    assert thread(phone) == ["p1", "p2"]
    wechat.refresh_from_db()
    phone.refresh_from_db()
    assert (wechat.message_count, phone.message_count) == (3, 2)
    assert phone.merged_into_id is None and phone.status == Status.OPEN


def test_splitting_moves_the_chosen_messages_into_a_new_conversation_of_the_customer(pair, agent):
    wechat, _ = pair
    w2 = Message.objects.get(external_id="w2")
    split = services.split_conversation(wechat, [w2.pk], actor=agent)
    created = split.created
    assert (created.customer_id, created.channel, created.team_id) == (
        wechat.customer_id,
        wechat.channel,
        wechat.team_id,
    )
    assert thread(created) == ["w2"] and thread(wechat) == ["w1"]
    assert created.status == Status.OPEN, "its latest message is the customer's: it waits for an answer"
    assert (created.message_count, wechat.message_count) == (1, 1)
    assert wechat.preview.startswith("宽带断了") and "13912345678" not in wechat.preview
    assert AuditEntry.objects.filter(action="conversation.split", object_id=str(wechat.pk)).exists()


def test_splits_that_make_no_sense_are_refused(pair, agent):
    wechat, phone = pair
    ids = list(wechat.messages.values_list("pk", flat=True))
    note = services.add_note(wechat, agent, "内部备注")
    with pytest.raises(services.CannotSplit, match="choose"):
        services.split_conversation(wechat, [], actor=agent)
    with pytest.raises(services.CannotSplit, match="must stay"):
        services.split_conversation(wechat, ids, actor=agent)
    with pytest.raises(services.CannotSplit, match="not in this conversation"):
        services.split_conversation(wechat, [phone.messages.first().pk], actor=agent)
    with pytest.raises(services.CannotSplit, match="not only internal notes"):
        services.split_conversation(wechat, [note.pk], actor=agent)
    assert Conversation.objects.count() == 2


def test_a_supervisor_undoes_a_split_and_the_thread_is_whole_again(pair, agent, supervisor):
    wechat, _ = pair
    services.post_reply(wechat, agent, "您好，师傅下午到")
    before = snapshot(wechat)
    moved = list(wechat.messages.filter(direction=Direction.OUTBOUND).values_list("pk", flat=True))
    split = services.split_conversation(wechat, moved, actor=agent)
    assert split.created.status == Status.PENDING, "a reply last: waiting on the customer"
    with pytest.raises(PermissionDenied):
        services.undo_split(split, actor=agent)
    services.undo_split(split, actor=supervisor)
    assert snapshot(wechat) == before
    split.created.refresh_from_db()
    assert split.created.status == Status.CLOSED and split.created.merged_into_id == wechat.pk
