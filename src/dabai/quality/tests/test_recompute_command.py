"""``dabai recompute_outcomes``: all outcomes again from the facts, or only recent activity, or one."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dabai.conversations.models import Conversation, Status
from dabai.conversations.services import change_status, post_reply, read_messages, receive_message
from dabai.core.choices import Channel
from dabai.quality.models import Outcome
from dabai.testing import CustomerFactory

LATE_PARCEL = "我的快递三天了还没到，物流一直不更新"
STILL_NO_PARCEL = "你好，我上周问的那个快递到现在还没送到，物流还是没动静"


def resolved(agent, name: str, channel: str = Channel.WECHAT) -> Outcome:
    received = receive_message(customer=CustomerFactory(display_name=name), channel=channel, body=LATE_PARCEL)
    read_messages([received.message])
    conversation = received.message.conversation
    post_reply(conversation, agent, "已为您催促快递公司，今天会送到。")
    change_status(conversation, Status.RESOLVED, actor=agent)
    return Outcome.objects.get(conversation=conversation)


def backdate(outcome: Outcome, days: int) -> None:
    """As if it was resolved ``days`` ago (the conversation and its outcome)."""
    at = timezone.now() - timedelta(days=days)
    Conversation.objects.filter(pk=outcome.conversation_id).update(last_message_at=at, resolved_at=at)
    Outcome.objects.filter(pk=outcome.pk).update(
        first_resolved_at=at, resolved_at=at, window_ends_at=at + timedelta(days=7)
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("recompute_outcomes", *args, stdout=out)
    return out.getvalue()


def test_full_recomputation_rebuilds_every_outcome_and_says_how_many_and_how_long(db, agent):
    first, second = resolved(agent, "王女士"), resolved(agent, "李先生")
    Outcome.objects.all().delete()
    output = run()
    assert "Recomputed 2 outcomes of 2 conversations (all conversations) in" in output
    assert set(Outcome.objects.values_list("conversation_id", flat=True)) == {
        first.conversation_id,
        second.conversation_id,
    }
    assert Outcome.objects.get(conversation_id=first.conversation_id).intent == "logistics"


def test_recent_days_recompute_recent_conversations_and_older_ones_a_recent_contact_touches(db, agent):
    repeated, untouched = resolved(agent, "王女士"), resolved(agent, "李先生")
    backdate(repeated, 3)
    backdate(untouched, 10)
    call = receive_message(customer=repeated.customer, channel=Channel.PHONE, body=STILL_NO_PARCEL)
    read_messages([call.message])
    repeated.refresh_from_db()
    assert repeated.first_contact_resolved is False, "the receivers saw the repeat call"
    Outcome.objects.update(first_contact_resolved=True, repeat_contacts=0, handoffs=9)

    output = run("--days", "1")

    assert "Recomputed 1 outcomes of 1 conversations (activity since" in output
    repeated.refresh_from_db()
    untouched.refresh_from_db()
    assert (repeated.first_contact_resolved, repeated.repeat_contacts) == (False, 1)
    assert repeated.repeat_channels == [Channel.PHONE]
    assert untouched.handoffs == 9, "outside the period: left alone"

    since = (timezone.localdate() - timedelta(days=11)).isoformat()
    assert "Recomputed 2 outcomes" in run("--since", since)
    untouched.refresh_from_db()
    assert untouched.handoffs == 0


def test_one_conversation_and_clear_errors(db, agent):
    outcome = resolved(agent, "王女士")
    Outcome.objects.update(handoffs=9)
    assert "Recomputed 1 outcomes of 1 conversations (conversation #" in run(
        "--conversation", str(outcome.conversation_id)
    )
    outcome.refresh_from_db()
    assert outcome.handoffs == 0
    with pytest.raises(CommandError, match="no conversation"):
        run("--conversation", "999999")
    with pytest.raises(CommandError, match="--days must be 1 or more"):
        run("--days", "0")
