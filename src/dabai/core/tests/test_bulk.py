import pytest
from django.utils import timezone

from dabai.conversations.models import Conversation, Message
from dabai.core import bulk
from dabai.core.bulk import update_rows
from dabai.testing import ConversationFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def stored(*conversations: Conversation) -> list[tuple[int | None, int | None]]:
    return [Conversation.objects.values_list("assignee_id", "team_id").get(pk=c.pk) for c in conversations]


def test_each_row_gets_its_own_values_and_other_rows_stay():
    alice, bob = UserFactory(), UserFactory()
    team = TeamFactory()
    first, second, untouched = (
        ConversationFactory(),
        ConversationFactory(assignee=alice),
        ConversationFactory(),
    )

    update_rows(
        Conversation, ["assignee", "team"], [(first.pk, alice.pk, team.pk), (second.pk, bob.pk, None)]
    )

    assert stored(first, second, untouched) == [(alice.pk, team.pk), (bob.pk, None), (None, None)]


def test_where_null_leaves_rows_alone_whose_field_was_set_meanwhile():
    alice, bob = UserFactory(), UserFactory()
    team, theirs = TeamFactory(), TeamFactory()
    queued, picked = ConversationFactory(), ConversationFactory(assignee=bob, team=theirs)

    changed = update_rows(
        Conversation,
        ["assignee", "team"],
        [(queued.pk, alice.pk, team.pk), (picked.pk, alice.pk, team.pk)],
        where_null=["assignee"],
    )

    assert stored(queued, picked) == [(alice.pk, team.pk), (bob.pk, theirs.pk)]
    assert changed == [queued.pk], "only the row that changed is reported, so only it is announced"


def test_where_null_holds_in_every_chunk(monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 2)
    alice, bob = UserFactory(), UserFactory()
    conversations = [ConversationFactory(assignee=bob if i % 2 else None) for i in range(5)]

    changed = update_rows(
        Conversation, ["assignee"], [(c.pk, alice.pk) for c in conversations], where_null=["assignee"]
    )

    assert [a for a, _ in stored(*conversations)] == [alice.pk, bob.pk, alice.pk, bob.pk, alice.pk]
    assert sorted(changed) == [conversations[i].pk for i in (0, 2, 4)]


def test_inserted_rows_get_their_ids_and_keep_every_value():
    """``insert_rows`` (COPY on PostgreSQL) stores what ``bulk_create`` would: JSON, dates, relations, and
    ids the caller can use at once."""
    from django.utils import timezone

    from dabai.conversations.models import Direction, Message

    conversation = ConversationFactory()
    now = timezone.now()
    analysis = {"reasons": ['"引号"', "\\反斜杠", "{括号}"], "score": 0.5, "none": None}
    made = bulk.insert_rows(
        Message,
        [
            Message(
                conversation=conversation,
                direction=Direction.INBOUND,
                channel="sms",
                external_id=f"copy-{n}",
                body=f"第{n}条\t带制表符\n和换行",
                raw_payload=analysis,
                sent_at=now,
            )
            for n in range(3)
        ],
    )
    assert all(m.pk for m in made) and len({m.pk for m in made}) == 3
    stored_messages = Message.objects.filter(pk__in=[m.pk for m in made]).order_by("pk")
    assert [m.body for m in stored_messages] == [f"第{n}条\t带制表符\n和换行" for n in range(3)]
    assert all(m.raw_payload == analysis and m.sent_at == now for m in stored_messages)
    assert ConversationFactory().pk > 0  # the sequence moved past the drawn ids


def test_a_duplicate_in_an_insert_is_an_integrity_error_and_nothing_of_the_batch_stays():
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from dabai.conversations.models import Direction, Message

    conversation = ConversationFactory()

    def message(external_id: str) -> Message:
        return Message(
            conversation=conversation,
            direction=Direction.INBOUND,
            channel="sms",
            external_id=external_id,
            body="你好",
            sent_at=timezone.now(),
        )

    bulk.insert_rows(Message, [message("dup")])
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_rows(Message, [message("fresh"), message("dup")])
    assert list(Message.objects.values_list("external_id", flat=True)) == ["dup"]


def _attributes(obj) -> dict:
    return {name: value for name, value in vars(obj).items() if name != "_state"}


@pytest.mark.parametrize(
    ("model", "values"),
    [
        ("Conversation", {"customer_id": 7, "channel": "sms", "subject": "发票", "message_count": 0}),
        (
            "Message",
            {"conversation_id": 3, "direction": "inbound", "body": "宽带又断了", "raw_payload": {"a": 1}},
        ),
    ],
)
def test_build_makes_what_the_constructor_makes(model, values):
    cls = {"Conversation": Conversation, "Message": Message}[model]
    built, constructed = bulk.build(cls, values), cls(**values)
    assert _attributes(built) == _attributes(constructed)
    assert built._state.adding and built._state.db is None and built.pk is None
    other = bulk.build(cls, values)
    for name, value in _attributes(built).items():
        if isinstance(value, dict | list) and name not in values:
            assert value is not _attributes(other)[name], f"{name}: a default shared between instances"


def test_build_saves_like_a_constructed_instance():
    conversation = ConversationFactory()
    message = bulk.build(
        Message,
        {
            "conversation_id": conversation.pk,
            "direction": "inbound",
            "body": "你好",
            "channel": "sms",
            "sent_at": timezone.now(),
        },
    )
    bulk.insert_rows(Message, [message])
    assert message.pk and Message.objects.get(pk=message.pk).body == "你好"
