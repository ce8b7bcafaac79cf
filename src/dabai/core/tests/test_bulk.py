import pytest

from dabai.conversations.models import Conversation
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

    update_rows(
        Conversation,
        ["assignee", "team"],
        [(queued.pk, alice.pk, team.pk), (picked.pk, alice.pk, team.pk)],
        where_null=["assignee"],
    )

    assert stored(queued, picked) == [(alice.pk, team.pk), (bob.pk, theirs.pk)]


def test_where_null_holds_in_every_chunk(monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 2)
    alice, bob = UserFactory(), UserFactory()
    conversations = [ConversationFactory(assignee=bob if i % 2 else None) for i in range(5)]

    update_rows(
        Conversation, ["assignee"], [(c.pk, alice.pk) for c in conversations], where_null=["assignee"]
    )

    assert [a for a, _ in stored(*conversations)] == [alice.pk, bob.pk, alice.pk, bob.pk, alice.pk]
