"""Macros do more than insert text (Zendesk macros): they set a status, add tags and assign, through the
conversation services, within the scopes people may use."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dabai.accounts.models import AuditEntry
from dabai.conversations.models import Status
from dabai.replies import services
from dabai.replies.models import MacroAssignment, MacroScope
from dabai.testing import ConversationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolve_refund(supervisor, hotline):
    return services.create_macro(
        actor=supervisor,
        title="退款已到账-结束",
        body="您好，退款已原路退回，请留意到账通知。",
        scope=MacroScope.TEAM,
        team=hotline,
        set_status=Status.RESOLVED,
        add_tags=["退款", " 已结案 ", ""],
        assignment=MacroAssignment.SELF,
    )


def test_sending_with_a_macro_replies_then_tags_assigns_and_resolves(
    agent, supervisor, hotline, resolve_refund
):
    conversation = ConversationFactory(team=hotline, assignee=supervisor)  # the agent takes it over
    services.send_from_desk(conversation, agent, kind="reply", body=resolve_refund.body, macro=resolve_refund)
    conversation.refresh_from_db()
    assert conversation.messages.count() == 1
    assert conversation.status == Status.RESOLVED
    assert conversation.assignee == agent
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["已结案", "退款"]
    entry = AuditEntry.objects.get(action="macro.applied")
    assert entry.actor == agent and set(entry.detail["done"]) == {"tags", "assignee", "status"}
    resolve_refund.refresh_from_db()
    assert resolve_refund.use_count == 1


def test_a_macro_hands_over_to_another_teams_queue(supervisor, agent, hotline, online):
    to_billing = services.create_macro(
        actor=supervisor,
        title="转账务组",
        body="您好，已为您转交账务专员处理。",
        scope=MacroScope.CENTRE,
        assign_team=online,
        set_status=Status.OPEN,
    )
    conversation = ConversationFactory(team=hotline, assignee=agent, status=Status.PENDING)
    assert services.apply_macro(to_billing, conversation, actor=agent) == ["team", "status"]
    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee, conversation.status) == (online, None, Status.OPEN)


def test_macros_are_used_only_within_their_scope(resolve_refund, other_agent, agent, online):
    conversation = ConversationFactory(team=online)
    with pytest.raises(PermissionDenied):
        services.apply_macro(resolve_refund, conversation, actor=other_agent)  # another team's macro
    mine = services.create_macro(
        actor=agent,
        title="我的收尾",
        body="好的，祝您生活愉快！",
        scope=MacroScope.PERSONAL,
        add_tags=["已回访"],
    )
    with pytest.raises(PermissionDenied):
        services.apply_macro(mine, conversation, actor=other_agent)  # someone else's personal macro
    with pytest.raises(PermissionDenied):
        services.create_macro(actor=agent, title="团队", body="x", scope=MacroScope.TEAM, team=online)


def test_a_macro_with_an_unknown_status_is_refused(supervisor):
    with pytest.raises(ValidationError):
        services.create_macro(
            actor=supervisor, title="坏的", body="x", scope=MacroScope.CENTRE, set_status="deleted"
        )


def test_a_failing_macro_action_leaves_no_reply_behind(agent, other_agent, online, resolve_refund):
    # Another team's conversation, someone else's: applying the macro is refused, and so is the whole send.
    conversation = ConversationFactory(team=online, assignee=other_agent)
    with pytest.raises(PermissionDenied):
        services.send_from_desk(conversation, agent, kind="reply", body="您好", macro=resolve_refund)
    assert not conversation.messages.exists()
