"""Bulk actions on the selected conversations: each through the conversations' services, each audited, and
never on a conversation the agent could not open one by one."""

import pytest
from django.urls import reverse

from dabai.accounts.models import AuditEntry
from dabai.conversations.models import Status
from dabai.desk import services
from dabai.testing import ConversationFactory

BULK = reverse("desk:bulk")


@pytest.fixture
def three(db, hotline, online):
    """Two hotline conversations the agent may open, one of the online team's they may not."""
    return [ConversationFactory(team=team) for team in (hotline, hotline, online)]


def test_bulk_assign_reaches_only_what_the_agent_may_open_and_audits_each(three, agent, client_for):
    ids = [c.pk for c in three]
    response = client_for(agent).post(
        BULK, {"ids": ids, "action": "assign", "assignee": agent.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="bulk-notice"' in html and 'data-testid="inbox-list"' in html
    for conversation in three:
        conversation.refresh_from_db()
    assert [c.assignee for c in three] == [agent, agent, None]
    audited = AuditEntry.objects.filter(action="conversation.bulk").values_list("object_id", flat=True)
    assert sorted(audited) == sorted(str(c.pk) for c in three[:2])


def test_bulk_close_status_and_tag(three, agent):
    mine = three[:2]
    result = services.bulk_apply(agent, [c.pk for c in mine], "close")
    assert result.done == 2 and result.skipped == 0
    assert {c.status for c in type(mine[0]).objects.filter(pk__in=[c.pk for c in mine])} == {Status.CLOSED}
    services.bulk_apply(agent, [mine[0].pk], "status", status=Status.OPEN)
    mine[0].refresh_from_db()
    assert mine[0].status == Status.OPEN
    services.bulk_apply(agent, [mine[0].pk, three[2].pk], "tag", tag=" 宽带故障 ")
    assert list(mine[0].tags.values_list("name", flat=True)) == ["宽带故障"]
    assert not three[2].tags.exists()


@pytest.mark.parametrize(
    ("action", "extra"),
    [("status", {}), ("tag", {"tag": "  "}), ("delete", {})],
    ids=["no-status", "blank-tag", "unknown"],
)
def test_a_bulk_action_without_what_it_needs_changes_nothing(three, agent, action, extra):
    with pytest.raises(services.BulkRefused):
        services.bulk_apply(agent, [three[0].pk], action, **extra)
    assert not AuditEntry.objects.filter(action="conversation.bulk").exists()


def test_bulk_without_a_selection_says_so(three, agent, client_for):
    html = client_for(agent).post(BULK, {"action": "close"}, HTTP_HX_REQUEST="true").content.decode()
    assert "bulk-notice error" in html
    assert all(c.status == Status.OPEN for c in type(three[0]).objects.filter(pk__in=[c.pk for c in three]))


def test_work_goes_only_to_people_never_to_automated_accounts(three, agent, supervisor, client_for):
    """The bot, an API token's service user and the survey sender are users too, but no one can work a
    conversation handed to them: the desk offers only people, and its bulk form refuses an automated account
    (the API's refusal is in ``api/tests/test_writes.py``)."""
    from dabai.api.services import create_token
    from dabai.knowledge.bot import bot_user

    bot = bot_user()
    token, _ = create_token(name="CRM sync", scopes=["write:conversations"], actor=supervisor)
    inbox = client_for(supervisor).get(reverse("desk:inbox")).content.decode()
    assert f'<option value="{agent.pk}">' in inbox
    for automated in (bot, token.service_user):
        assert f'<option value="{automated.pk}">' not in inbox
    response = client_for(supervisor).post(
        BULK, {"ids": [three[0].pk], "action": "assign", "assignee": bot.pk}, HTTP_HX_REQUEST="true"
    )
    three[0].refresh_from_db()
    assert three[0].assignee is None and response.status_code in (200, 400)
