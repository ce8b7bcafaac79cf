"""The workspace as an agent works in it: the list beside the open conversation, unread markers, views with
live counts, filters that survive a reload, send-and-resolve, snooze, calls, the customer panel."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dabai.accounts.models import AuditEntry
from dabai.channels.models import CallRecord
from dabai.conversations.models import Conversation, Direction, Status
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.desk import selectors
from dabai.followups.services import open_followup
from dabai.routing.models import ConversationSla
from dabai.testing import (
    ConversationFactory,
    CustomerFactory,
    DepartmentFactory,
    MessageFactory,
    run_queued_tasks,
)

INBOX = reverse("desk:inbox")
PANE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "conversation-pane"}


def listed(client, **params) -> list[int]:
    return [c.pk for c in client.get(INBOX, params).context["page"]]


def customer_writes(conversation_or_customer, body="在吗？", channel=Channel.CHAT) -> Conversation:
    customer = getattr(conversation_or_customer, "customer", conversation_or_customer)
    return receive_message(customer=customer, channel=channel, body=body).message.conversation


@pytest.fixture
def written(db, hotline):
    conversation = customer_writes(CustomerFactory(display_name="杜女士"))
    conversation.team = hotline
    conversation.save(update_fields=["team"])
    return conversation


def test_a_new_customer_message_is_unread_until_the_agent_opens_it(written, agent, client_for):
    client = client_for(agent)
    row = next(c for c in client.get(INBOX).context["page"] if c.pk == written.pk)
    assert row.unread
    client.get(reverse("desk:detail", args=[written.pk]), **PANE)
    row = next(c for c in client.get(INBOX).context["page"] if c.pk == written.pk)
    assert not row.unread
    customer_writes(written, "还有一个问题")
    row = next(c for c in client.get(INBOX).context["page"] if c.pk == written.pk)
    assert row.unread, "a new customer message makes it unread again"


def test_opening_from_the_list_returns_only_the_pane(written, agent, client_for):
    response = client_for(agent).get(reverse("desk:detail", args=[written.pk]), **PANE)
    html = response.content.decode()
    assert "<html" not in html and 'data-testid="inbox-list"' not in html
    assert 'data-testid="thread"' in html and 'data-testid="customer-panel"' in html
    assert response["HX-Trigger"] == "desk-list-changed"


def test_a_reload_shows_the_three_panes_with_the_list_as_the_agent_left_it(db, hotline, agent, client_for):
    weibo = ConversationFactory(team=hotline, channel=Channel.WEIBO)
    chat = ConversationFactory(team=hotline, channel=Channel.CHAT)
    client = client_for(agent)
    client.get(INBOX, {"channel": "weibo"}, HTTP_HX_REQUEST="true")  # the agent filtered the list
    page = client.get(reverse("desk:detail", args=[chat.pk]))
    html = page.content.decode()
    assert 'data-testid="inbox-list"' in html and 'data-testid="thread"' in html
    assert [c.pk for c in page.context["page"]] == [weibo.pk], "the list keeps its filters"
    assert 'class="workspace has-conversation"' in html


def test_view_counts_come_from_one_grouped_query(db, hotline, online, agent, other_agent, client_for):
    now = timezone.now()
    ConversationFactory(team=hotline, assignee=agent)
    ConversationFactory(team=hotline, assignee=agent, status=Status.PENDING)
    ConversationFactory(team=hotline)
    ConversationFactory(team=hotline, channel=Channel.WEIBO, is_public=True)
    late = ConversationFactory(team=hotline)
    ConversationSla.objects.create(conversation=late, next_due_at=now - timedelta(minutes=3), breached=True)
    ConversationFactory(team=hotline, status=Status.RESOLVED, assignee=agent)  # done: in no view
    ConversationFactory(team=online, assignee=other_agent)  # not visible to the agent
    snoozed = ConversationFactory(team=hotline, assignee=agent, snoozed_until=now + timedelta(hours=2))
    with CaptureQueriesContext(connection) as queries:
        counts = selectors.view_counts(agent)
    counting = [q["sql"] for q in queries.captured_queries if "conversations_conversation" in q["sql"]]
    assert len(counting) == 1 and "COUNT" in counting[0], "every view counted in one grouped query"
    assert counts["mine"] == 2 and counts["unassigned"] == 3 and counts["all"] == 5
    assert counts["overdue"] == 1 and counts["public"] == 1 and counts["snoozed"] == 1
    client = client_for(agent)
    assert listed(client, view="overdue", status="active") == [late.pk]
    assert snoozed.pk not in listed(client, view="mine", status="active")
    assert listed(client, view="snoozed", status="active") == [snoozed.pk]


def test_escalations_view_lists_complaints_and_escalation_risk(
    db, hotline, agent, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        risky = customer_writes(CustomerFactory(), "再不处理我就投诉到12315，还要去微博曝光你们！")
    run_queued_tasks()
    Conversation.objects.filter(pk=risky.pk).update(team=hotline)
    calm = ConversationFactory(team=hotline)
    shown = listed(client_for(agent), view="escalations", status="active")
    assert risky.pk in shown and calm.pk not in shown


def test_send_and_resolve_in_one_action(written, agent, client_for):
    response = client_for(agent).post(
        reverse("desk:send", args=[written.pk]),
        {"body": "已为您处理好，祝您生活愉快。", "kind": "reply", "then": "resolved"},
        **PANE,
    )
    written.refresh_from_db()
    assert written.status == Status.RESOLVED
    assert written.messages.filter(direction=Direction.OUTBOUND, body__startswith="已为您处理好").exists()
    assert 'data-testid="reopen"' in response.content.decode()


def test_a_refused_public_reply_changes_nothing_not_even_the_status(db, hotline, agent, client_for):
    conversation = customer_writes(CustomerFactory(display_name="王小明"), "快递丢了", channel=Channel.WEIBO)
    Conversation.objects.filter(pk=conversation.pk).update(team=hotline, is_public=True)
    html = (
        client_for(agent)
        .post(
            reverse("desk:send", args=[conversation.pk]),
            {"body": "王小明您好，请致电13812345678", "kind": "reply", "then": "resolved"},
            HTTP_HX_REQUEST="true",
        )
        .content.decode()
    )
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert not conversation.messages.filter(direction=Direction.OUTBOUND).exists()
    assert 'data-testid="send-error"' in html and 'data-testid="public-warning"' in html


def test_snooze_hides_the_conversation_until_the_customer_writes(written, agent, client_for):
    client = client_for(agent)
    response = client.post(reverse("desk:snooze", args=[written.pk]), {"preset": "3h"}, **PANE)
    written.refresh_from_db()
    assert written.snoozed_until is not None
    assert timedelta(hours=2, minutes=59) < written.snoozed_until - timezone.now() <= timedelta(hours=3)
    assert 'data-testid="snoozed"' in response.content.decode()
    assert written.pk not in listed(client)
    customer_writes(written, "怎么还没人回我")
    assert written.pk in listed(client), "the customer's message brings it back"


def test_snoozing_into_the_past_says_why(written, agent, client_for):
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    html = (
        client_for(agent)
        .post(reverse("desk:snooze", args=[written.pk]), {"preset": "custom", "until": past}, **PANE)
        .content.decode()
    )
    written.refresh_from_db()
    assert written.snoozed_until is None
    assert 'data-testid="action-error"' in html


def test_status_and_assignment_at_the_top_of_the_thread_answer_with_the_pane(written, agent, client_for):
    client = client_for(agent)
    response = client.post(reverse("desk:assign", args=[written.pk]), {"assignee": agent.pk}, **PANE)
    html = response.content.decode()
    assert 'data-testid="conversation-actions"' in html
    client.post(reverse("desk:status", args=[written.pk]), {"status": Status.PENDING}, **PANE)
    written.refresh_from_db()
    assert written.assignee == agent and written.status == Status.PENDING


@pytest.fixture
def call(db, hotline):
    customer = CustomerFactory(display_name="来电客户")
    conversation = ConversationFactory(customer=customer, team=hotline, channel=Channel.PHONE)
    message = MessageFactory(conversation=conversation, body="我家宽带断了\n电话13812345678")
    record = CallRecord.objects.create(
        message=message,
        call_id="c-1",
        caller="13812345678",
        duration_seconds=192,
        recording_url="https://recordings.example.cn/c-1.mp3",
        transcript=[
            {"speaker": "agent", "text": "您好，这里是客服", "start": 0},
            {"speaker": "customer", "text": "我家宽带断了", "start": 3},
            {"speaker": "customer", "text": "电话13812345678", "start": 9},
        ],
        started_at=message.sent_at,
    )
    return record


def test_a_call_reads_as_a_call_with_turns_and_its_length(call, agent, client_for):
    html = client_for(agent).get(reverse("desk:detail", args=[call.message.conversation_id]), **PANE)
    html = html.content.decode()
    assert "3分12秒" in html and "来电" in html
    turns = html.split('data-testid="call-turns"')[1].split("</ol>")[0]
    assert turns.count('data-testid="speaker"') == 3
    assert "坐席" in turns and "客户" in turns and "客户来信" not in turns
    assert "13812345678" not in turns, "the transcript is masked like the thread"
    assert 'data-testid="recording"' not in html, "agents do not hear recordings"


def test_supervisors_hear_recordings_through_an_audited_door(call, supervisor, agent, client_for):
    html = client_for(supervisor).get(reverse("desk:detail", args=[call.message.conversation_id]), **PANE)
    assert 'data-testid="recording"' in html.content.decode()
    response = client_for(supervisor).get(reverse("desk:recording", args=[call.pk]))
    assert response.status_code == 302 and response["Location"] == call.recording_url
    assert AuditEntry.objects.filter(action="call.recording", object_id=str(call.pk)).count() == 1
    assert client_for(agent).get(reverse("desk:recording", args=[call.pk])).status_code == 404


def test_the_customer_panel_masks_like_the_thread(db, hotline, agent, client_for):
    customer = CustomerFactory(display_name="杜女士", notes="备用电话13912345678，晚上联系")
    conversation = ConversationFactory(customer=customer, team=hotline)
    html = client_for(agent).get(reverse("desk:detail", args=[conversation.pk]), **PANE).content.decode()
    panel = html.split('data-testid="customer-panel"')[1]
    assert "13912345678" not in panel and "晚上联系" in panel


def test_public_posts_warn_next_to_send(db, hotline, agent, client_for):
    conversation = ConversationFactory(team=hotline, channel=Channel.WEIBO, is_public=True)
    html = client_for(agent).get(reverse("desk:detail", args=[conversation.pk]), **PANE).content.decode()
    assert "公开回复，所有人可见" in html


def test_the_customer_panel_shows_what_other_departments_are_doing_for_them(
    db, hotline, agent, supervisor, client_for
):
    customer = CustomerFactory(display_name="杜女士")
    earlier = ConversationFactory(customer=customer, team=hotline, status=Status.RESOLVED)
    now = ConversationFactory(customer=customer, team=hotline)
    open_followup(
        title="耳机左声道无声：同一批次集中反馈",
        department=DepartmentFactory(),
        opened_by=supervisor,
        conversations=[earlier],
    )
    html = client_for(agent).get(reverse("desk:detail", args=[now.pk]), **PANE).content.decode()
    followups = html.split('data-testid="open-followups"')[1].split("</ul>")[0]
    assert "耳机左声道无声" in followups


def test_merge_and_split_are_offered_in_the_pane(db, hotline, agent, client_for):
    customer = CustomerFactory()
    here = ConversationFactory(customer=customer, team=hotline)
    MessageFactory(conversation=here, body="宽带断了")
    other = ConversationFactory(customer=customer, team=hotline, channel=Channel.SMS)
    html = client_for(agent).get(reverse("desk:detail", args=[here.pk]), **PANE).content.decode()
    merge = html.split('data-testid="merge-menu"')[1].split("</details>")[0]
    assert reverse("conversations:merge", args=[here.pk]) in merge and f'value="{other.pk}"' in merge
    assert reverse("conversations:split", args=[here.pk]) in html and 'data-testid="split-pick"' in html
