"""Customer visits (用户拜访) and the feedback survey after a session."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from dabai.conversations.models import Conversation, Direction, Message
from dabai.customers.models import Tier
from dabai.programs.models import Registration, RegStatus
from dabai.programs.services import feedback, seats, visits
from dabai.surveys.models import Invitation
from dabai.surveys.services import submit_response
from dabai.testing import CustomerFactory, run_queued_tasks


@pytest.fixture
def visit(make_session):
    return make_session("visit", capacity=3, title="拜访上海VIP用户")


def test_the_sample_is_drawn_by_the_stated_criterion_and_reproduced_by_its_seed(db):
    vips = [CustomerFactory(display_name=f"VIP{i}", tier=Tier.VIP) for i in range(6)]
    CustomerFactory(display_name="普通用户")
    first = visits.sample_customers(criterion="tier", value=Tier.VIP, size=3, seed=11)
    again = visits.sample_customers(criterion="tier", value=Tier.VIP, size=3, seed=11)
    assert [s.customer.pk for s in first] == [s.customer.pk for s in again]
    assert {s.customer.pk for s in first} <= {c.pk for c in vips}
    assert all("种子 11" in s.reason for s in first)
    with pytest.raises(visits.VisitError):
        visits.sample_customers(criterion="horoscope", size=1, seed=1)


def test_feedback_needs_consent_and_then_lands_in_the_customers_history_as_their_words(
    visit, supervisor, committed
):
    customer = CustomerFactory(display_name="韩小姐")
    planned = visits.add_visit_customer(visit, customer, reason="随机抽样", actor=supervisor)
    with pytest.raises(visits.VisitError):
        visits.record_feedback(planned, feedback="发货太慢", actor=supervisor)
    visits.record_consent(planned, how="电话征得同意", actor=supervisor)
    with committed():
        visits.record_feedback(
            planned,
            feedback="发货太慢，客服电话13812345678总是占线",
            summary="建议增加晚间坐席",
            actor=supervisor,
        )
    with committed():
        run_queued_tasks()  # the filter reads the customer's words; the case library is told after commit
    run_queued_tasks()
    planned.refresh_from_db()
    conversation = Conversation.objects.get(pk=planned.conversation_id)
    assert conversation.customer == customer and "用户拜访" in conversation.subject
    words = Message.objects.get(conversation=conversation, direction=Direction.INBOUND)
    assert "发货太慢" in words.body and words.insight.masked_text.count("****") >= 1
    assert Message.objects.filter(conversation=conversation, direction=Direction.NOTE).exists()
    from dabai.insights.models import Case

    assert Case.objects.filter(pk=conversation.pk).exists()


def _attended(session, people):
    for number, name in enumerate(people):
        email = f"p{number}@example.cn"
        registration = seats.register_public(session, name=name, email=email, consent=True).registration
        Registration.objects.filter(pk=registration.pk).update(status=RegStatus.ATTENDED)


def test_the_survey_goes_to_attendees_and_its_scores_feed_the_next_sessions_plan(
    meetup, make_session, supervisor, client_for, committed
):
    meetup.capacity = 5
    meetup.save()
    _attended(meetup, ["韩小姐", "张先生"])
    with committed():
        invited = feedback.send_feedback_survey(meetup, actor=supervisor)
        feedback.send_feedback_survey(meetup, actor=supervisor)  # twice: still one invitation each
    run_queued_tasks()
    meetup.refresh_from_db()
    assert invited == 2 and Invitation.objects.filter(survey_id=meetup.survey_id).count() == 2
    assert {m.to[0] for m in mail.outbox} == {"p0@example.cn", "p1@example.cn"}
    questions = list(Invitation.objects.first().survey.questions.all())
    for invitation, (rating, nps) in zip(Invitation.objects.order_by("pk"), [(5, 10), (3, 6)], strict=True):
        submit_response(
            invitation, {questions[0].pk: rating, questions[1].pk: nps, questions[2].pk: "希望多讲讲退款"}
        )
    next_one = make_session("meetup", capacity=10, days=100, title="夏季用户见面会")
    next_one.programme = meetup.programme
    next_one.save()
    page = client_for(supervisor).get(reverse("programs:session", args=[next_one.pk])).content.decode()
    assert 'data-testid="previous-feedback"' in page and "4.0" in page and "希望多讲讲退款" in page
    dashboard = (
        client_for(supervisor).get(reverse("programs:programme", args=[meetup.programme_id])).content.decode()
    )
    assert "4.0" in dashboard


def test_a_session_without_attendees_has_no_survey_to_send(meetup, supervisor):
    with pytest.raises(feedback.FeedbackError):
        feedback.send_feedback_survey(meetup, actor=supervisor)
    assert meetup.survey_id is None
    assert timezone.now() < meetup.starts_at + timedelta(days=365)
