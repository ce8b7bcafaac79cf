"""Follow-ups owned by departments: opening, the status path, comments and replies, owners, who sees what,
the customer's open follow-ups, overdue escalation once a day, and closing the loop with the agents."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from dabai.accounts.models import AuditEntry
from dabai.followups import policy, selectors, services
from dabai.followups.models import EventKind, FollowUp, Notice, NoticeKind, Source, Status
from dabai.followups.tasks import overdue_sweep, start_overdue_sweep
from dabai.testing import ConversationFactory, run_queued_tasks


@pytest.fixture
def crash(product, supervisor, hot_case):
    return services.open_followup(
        title="APP升级后闪退（王小明反馈，电话13812345678）",
        department=product,
        opened_by=supervisor,
        description="多位客户反馈 3.2 版本闪退",
        conversations=[hot_case],
        due=timezone.localdate() + timedelta(days=7),
        topic_key="app_crash",
    )


def test_opening_a_follow_up_logs_audits_masks_and_tells_the_department(crash, department_member, supervisor):
    assert crash.status == Status.OPEN
    assert "13812345678" not in crash.title and "王小明" not in crash.title
    assert crash.source == Source.CASE and crash.topic_key == "app_crash"
    assert [e.kind for e in crash.events.all()] == [EventKind.OPENED]
    assert AuditEntry.objects.filter(
        action="followup.open", object_id=str(crash.pk), actor=supervisor
    ).exists()
    notice = Notice.objects.get(recipient=department_member)
    assert notice.kind == NoticeKind.OPENED and notice.followup == crash


def test_a_title_is_required_and_the_owner_must_be_of_the_department(product, finance_member, supervisor):
    with pytest.raises(ValidationError):
        services.open_followup(title="  ", department=product, opened_by=supervisor)
    with pytest.raises(ValidationError):
        services.open_followup(
            title="退款规则", department=product, opened_by=supervisor, owner=finance_member
        )
    assert not FollowUp.objects.exists()


def test_status_goes_open_in_progress_done_and_done_needs_a_resolution(crash, department_member):
    services.change_status(crash, Status.IN_PROGRESS, actor=department_member)
    with pytest.raises(ValidationError):
        services.change_status(crash, Status.DONE, actor=department_member)
    crash.refresh_from_db()
    assert crash.status == Status.IN_PROGRESS
    services.change_status(crash, Status.DONE, actor=department_member, note="3.2.1 版本已修复闪退")
    crash.refresh_from_db()
    assert crash.status == Status.DONE and crash.closed_at is not None
    assert crash.resolution_note == "3.2.1 版本已修复闪退"
    with pytest.raises(ValidationError):
        services.change_status(crash, Status.IN_PROGRESS, actor=department_member)
    services.change_status(crash, Status.OPEN, actor=department_member)
    crash.refresh_from_db()
    assert crash.closed_at is None
    statuses = [(e.from_status, e.to_status) for e in crash.events.filter(kind=EventKind.STATUS)]
    assert statuses == [("open", "in_progress"), ("in_progress", "done"), ("done", "open")]


def test_done_tells_the_agents_of_the_linked_cases_with_a_draft_for_the_customer(
    crash, department_member, agent_with_mail, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(
            crash, Status.DONE, actor=department_member, note="3.2.1 版本已修复闪退，请升级"
        )
    notice = Notice.objects.get(recipient=agent_with_mail, kind=NoticeKind.DONE)
    assert notice.conversation_id == crash.conversations.get().pk
    assert "3.2.1 版本已修复闪退" in notice.text
    assert "3.2.1 版本已修复闪退，请升级。" in notice.draft and "产品" in notice.draft
    assert crash.events.filter(kind=EventKind.NOTIFIED).exists()
    run_queued_tasks()
    (sent,) = [m for m in mail.outbox if "xiaoli@example.cn" in m.to]
    assert "3.2.1 版本已修复闪退" in sent.body
    assert f"/inbox/{notice.conversation_id}/" in sent.body


def test_a_department_reply_reaches_the_opener_and_a_comment_is_masked(crash, department_member, supervisor):
    event = services.comment(
        crash, actor=department_member, body="已复现，客户王小明的手机 13812345678 型号是小米"
    )
    assert event.kind == EventKind.REPLY
    assert "13812345678" not in event.body and "王小明" not in event.body
    assert Notice.objects.filter(recipient=supervisor, kind=NoticeKind.REPLY, followup=crash).exists()
    other = services.comment(crash, actor=supervisor, body="请周五前给结论")
    assert other.kind == EventKind.COMMENT
    with pytest.raises(ValidationError):
        services.comment(crash, actor=supervisor, body="   ")


def test_assigning_an_owner_tells_them(crash, product, supervisor):
    from dabai.testing import UserFactory

    colleague = UserFactory(username="pm2", role="department", department=product)
    services.assign_owner(crash, colleague, actor=supervisor)
    crash.refresh_from_db()
    assert crash.owner == colleague
    assert Notice.objects.filter(recipient=colleague, kind=NoticeKind.ASSIGNED).exists()
    assert crash.events.filter(kind=EventKind.OWNER).exists()


def test_department_members_see_only_their_own_department(
    crash, department_member, finance_member, finance, supervisor, agent, other_agent, online_case
):
    refund = services.open_followup(
        title="退款到账慢", department=finance, opened_by=supervisor, conversations=[online_case]
    )
    assert list(policy.visible_followups(department_member)) == [crash]
    assert list(policy.visible_followups(finance_member)) == [refund]
    assert set(policy.visible_followups(supervisor)) == {crash, refund}
    # agents: the follow-ups of conversations they may open
    assert list(policy.visible_followups(agent)) == [crash]
    assert list(policy.visible_followups(other_agent)) == [refund]
    assert policy.may_work_on(department_member, crash) and not policy.may_work_on(department_member, refund)
    assert not policy.may_work_on(agent, crash) and policy.may_comment(agent, crash)
    assert not policy.may_comment(other_agent, crash)


def test_a_customers_open_follow_ups_come_through_any_of_their_conversations(
    crash, hot_case, product, supervisor
):
    later = ConversationFactory(customer=hot_case.customer)
    second = services.open_followup(
        title="闪退补偿", department=product, opened_by=supervisor, conversations=[later]
    )
    closed = services.open_followup(
        title="旧问题", department=product, opened_by=supervisor, conversations=[later]
    )
    services.change_status(closed, Status.WONT_DO, actor=supervisor, note="不做")
    assert set(selectors.open_followups_for_customer(hot_case.customer)) == {crash, second}
    assert selectors.open_followups_for_customer(ConversationFactory().customer) == []


def test_the_queue_filters_status_overdue_and_mine(crash, product, supervisor, department_member):
    today = timezone.localdate()
    late = services.open_followup(
        title="账单页面加载慢", department=product, opened_by=supervisor, due=today - timedelta(days=2)
    )
    services.assign_owner(late, department_member, actor=supervisor)
    active = selectors.department_queue(product)
    assert list(active) == [late, crash]  # overdue (soonest due) first
    overdue = selectors.department_queue(
        product, filters=selectors.QueueFilters(status="active", overdue=True)
    )
    assert list(overdue) == [late]
    mine = selectors.QueueFilters(status="active", mine=True)
    assert list(selectors.department_queue(product, filters=mine, user=department_member)) == [late]
    assert selectors.counts(active) == {"open": 2, "in_progress": 0, "overdue": 1, "done": 0}


def test_overdue_follow_ups_are_escalated_once_a_day(product, supervisor, department_member):
    today = timezone.localdate()
    late = services.open_followup(
        title="发票开具错误", department=product, opened_by=supervisor, due=today - timedelta(days=3)
    )
    on_time = services.open_followup(
        title="下周的事", department=product, opened_by=supervisor, due=today + timedelta(days=3)
    )
    mail.outbox.clear()
    assert services.escalate_overdue(today) == [late]
    assert services.escalate_overdue(today) == []  # the same day: nothing again
    late.refresh_from_db()
    assert late.escalated_on == today and late.escalation_count == 1
    assert late.events.filter(kind=EventKind.ESCALATED).count() == 1
    assert not on_time.events.filter(kind=EventKind.ESCALATED).exists()
    overdue = Notice.objects.filter(kind=NoticeKind.OVERDUE, followup=late)
    assert set(overdue.values_list("recipient", flat=True)) == {department_member.pk, supervisor.pk}
    # the next day it escalates again
    assert services.escalate_overdue(today + timedelta(days=1)) == [late]


def test_the_overdue_sweep_is_a_self_renewing_chain_and_mails(
    product, supervisor, department_member, django_capture_on_commit_callbacks
):
    department_member.email = "pm@example.cn"
    department_member.save()
    late = services.open_followup(
        title="发票开具错误",
        department=product,
        opened_by=supervisor,
        due=timezone.localdate() - timedelta(days=1),
    )
    mail.outbox.clear()
    old_chain = start_overdue_sweep()
    start_overdue_sweep()  # a worker restart: the old chain retires
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    run_queued_tasks()  # the e-mails
    late.refresh_from_db()
    assert late.escalation_count == 1
    assert overdue_sweep.call(old_chain) == {"retired": True}
    assert any("pm@example.cn" in m.to and "发票开具错误" in m.subject for m in mail.outbox)
    run_queued_tasks(include_future=True)  # an hour later, the same day: no second escalation
    late.refresh_from_db()
    assert late.escalation_count == 1


def test_a_follow_up_is_tied_to_the_portals_topic_its_key_names(product, supervisor):
    from dabai.insights.models import Topic

    billing = Topic.objects.create(kind="intent", key="intent:billing", name="账单")
    by_intent = services.open_followup(
        title="账单", department=product, opened_by=supervisor, topic_key="billing"
    )
    by_id = services.open_followup(
        title="账单2", department=product, opened_by=supervisor, topic_key=f"topic:{billing.pk}"
    )
    unknown = services.open_followup(title="其他", department=product, opened_by=supervisor, topic_key="nope")
    assert by_intent.topic == billing and by_id.topic == billing
    assert unknown.topic is None and unknown.topic_key == "nope"
    topic_queue = selectors.QueueFilters(status="active", topic=billing.pk)
    assert set(selectors.department_queue(product, filters=topic_queue)) == {by_intent, by_id}


def test_a_programme_opens_a_follow_up_without_a_person_and_adds_evidence_later(
    product, department_member, hot_case, online_case
):
    item = services.open_followup(
        title="用户见面会：希望账单更易懂",
        department=product,
        opened_by=None,
        source=Source.PROGRAMME,
        source_ref="programme:3/intention:12",
    )
    assert item.source == Source.PROGRAMME and item.source_ref == "programme:3/intention:12"
    assert Notice.objects.filter(recipient=department_member, followup=item).exists()
    assert services.link_conversations(item, [hot_case, online_case], actor=None) == 2
    assert services.link_conversations(item, [hot_case], actor=None) == 0
    assert item.conversations.count() == 2
    assert item.events.filter(kind=EventKind.LINKED).count() == 1
    with pytest.raises(ValidationError):
        services.open_followup(title="x", department=product, opened_by=None, source="fax")


def test_mine_for_an_agent_means_the_follow_ups_of_their_conversations(
    crash, agent, online_case, finance, supervisor
):
    services.open_followup(
        title="退款慢", department=finance, opened_by=supervisor, conversations=[online_case]
    )
    mine = selectors.QueueFilters(status="active", mine=True)
    assert list(selectors.department_queue(None, filters=mine, user=agent)) == [crash]
