"""Hard complaints (差异化投诉处理): opened from the filter's signals, a senior owner, tighter deadlines."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dabai.accounts.models import Role
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.routing import services
from dabai.routing.models import ClockKind, ComplaintCase, ComplaintStage, RoutingRule
from dabai.testing import ConversationFactory, CustomerFactory, run_queued_tasks

pytestmark = pytest.mark.django_db


def write_and_analyse(capture, customer, body: str, channel=Channel.WECHAT):
    with capture(execute=True):
        received = receive_message(channel=channel, customer=customer, body=body)
    with capture(execute=True):
        run_queued_tasks()
    return received.message.conversation


def test_regulator_mention_opens_a_complaint_case_owned_by_an_expert_seat(
    hotline, seat, django_capture_on_commit_callbacks
):
    seat(hotline, "junior")
    expert = seat(hotline, "senior", expert=True)
    conversation = write_and_analyse(
        django_capture_on_commit_callbacks, CustomerFactory(), "宽带断了一周没人修，再不解决我就打12315投诉！"
    )
    case = ComplaintCase.objects.get(conversation=conversation)
    assert "regulator" in case.triggers and "escalation_risk" in case.triggers
    assert case.stage == ComplaintStage.RECEIVED
    assert case.owner == expert
    conversation.refresh_from_db()
    assert conversation.assignee == expert
    assert conversation.routing_decisions.filter(rule=RoutingRule.COMPLAINT).exists()


def test_complaint_gets_a_tighter_deadline_than_the_channel(supervisor, django_capture_on_commit_callbacks):
    conversation = write_and_analyse(
        django_capture_on_commit_callbacks,
        CustomerFactory(),
        "你们再不退款我就找律师起诉你们，还要发到网上曝光！",
    )
    case = ComplaintCase.objects.get(conversation=conversation)
    first = conversation.sla_clocks.get(kind=ClockKind.FIRST_RESPONSE)
    assert first.due_at - first.started_at < timedelta(minutes=5)  # WeChat's 5 minutes, halved
    assert case.due_at < first.started_at + timedelta(minutes=480)
    assert case.owner == supervisor  # no expert seat on duty: the supervisor owns it


def test_third_contact_in_a_week_opens_a_complaint_case(supervisor, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    ConversationFactory(customer=customer, channel=Channel.PHONE)
    ConversationFactory(customer=customer, channel=Channel.EMAIL)
    conversation = write_and_analyse(django_capture_on_commit_callbacks, customer, "请问我的快递到哪里了")
    assert ComplaintCase.objects.get(conversation=conversation).triggers == ["repeated_contact"]


def test_an_ordinary_question_opens_no_case(supervisor, django_capture_on_commit_callbacks):
    write_and_analyse(django_capture_on_commit_callbacks, CustomerFactory(), "请问你们周末营业吗？")
    assert not ComplaintCase.objects.exists()


def test_case_moves_through_its_stages_and_never_back(supervisor):
    conversation = ConversationFactory()
    case = services.open_complaint(conversation, ["escalation_risk"], timezone.now())
    services.advance_complaint(case, ComplaintStage.INVESTIGATING, actor=supervisor)
    services.advance_complaint(case, ComplaintStage.RESOLVED, actor=supervisor)
    with pytest.raises(ValueError):
        services.advance_complaint(case, ComplaintStage.INVESTIGATING, actor=supervisor)
    services.advance_complaint(case, ComplaintStage.CONFIRMED, actor=supervisor)
    assert case.confirmed_at is not None and case.resolved_at is not None
    assert services.open_complaint(conversation, ["escalation_risk"], timezone.now()) is None  # once only


def test_supervisor_sees_every_case_an_agent_only_their_own(
    client_for, supervisor, agent, other_agent, hotline
):
    mine = services.open_complaint(ConversationFactory(team=hotline), ["regulator"], timezone.now())
    mine.owner = agent
    mine.save()
    services.open_complaint(ConversationFactory(), ["regulator"], timezone.now())
    assert client_for(supervisor).get("/routing/complaints/").content.count(b"data-case=") == 2
    assert client_for(agent).get("/routing/complaints/").content.count(b"data-case=") == 1
    response = client_for(other_agent).post(
        f"/routing/complaints/{mine.pk}/stage/", {"stage": "investigating"}
    )
    assert response.status_code == 404
    client_for(agent).post(f"/routing/complaints/{mine.pk}/stage/", {"stage": "investigating"})
    mine.refresh_from_db()
    assert mine.stage == ComplaintStage.INVESTIGATING
    assert agent.role == Role.AGENT
