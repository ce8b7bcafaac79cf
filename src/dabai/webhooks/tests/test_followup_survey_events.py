"""Follow-ups and survey answers reach subscribers as signed events, delivered after commit to a real local
receiver; nothing is sent for a change that rolled back, and no free text leaves in the payload."""

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from dabai.followups import services as followup_services
from dabai.followups.models import Status
from dabai.surveys import services as survey_services
from dabai.testing import ConversationFactory, CustomerFactory, DepartmentFactory, UserFactory
from dabai.webhooks import services
from dabai.webhooks.models import Event, EventType

pytestmark = pytest.mark.django_db


@pytest.fixture
def followup_endpoint(receiver, admin_user):
    return services.create_endpoint("Jira", receiver.url, [EventType.FOLLOWUP_CHANGED], actor=admin_user)


def test_a_followup_opened_moved_along_and_commented_on_reaches_the_receiver(
    receiver, followup_endpoint, commit, deliver_all, supervisor
):
    product = DepartmentFactory(slug="product", name="产品部")
    member = UserFactory(username="chanpin", role="department", department=product)
    case = ConversationFactory()
    with commit():
        item = followup_services.open_followup(
            title="APP 闪退，客户电话13812345678",
            department=product,
            opened_by=supervisor,
            conversations=[case],
        )
    with commit():
        followup_services.change_status(item, Status.IN_PROGRESS, actor=member)
    with commit():
        followup_services.comment(item, actor=member, body="已定位，下个版本修复")
    with commit():
        followup_services.change_status(item, Status.DONE, actor=member, note="3.2 版已修复")
    deliver_all()
    payloads = [c["json"] for c in receiver.calls]
    assert {p["type"] for p in payloads} == {"followup.changed"}
    data = [p["data"] for p in payloads]
    assert [d["change"] for d in data] == ["opened", "status_changed", "commented", "status_changed"]
    assert [d.get("to") for d in data] == [None, "in_progress", None, "done"]
    assert data[2]["by_department"] is True
    assert all(d["followup_id"] == item.pk and d["linked_conversation_ids"] == [case.pk] for d in data)
    assert [d["event_id"] for d in data] == sorted(d["event_id"] for d in data)
    for call in receiver.calls:
        Webhook(followup_endpoint.secret).verify(call["body"], call["headers"])
        assert "13812345678" not in call["body"].decode() and "闪退" not in call["body"].decode()


def test_a_followup_that_rolls_back_sends_nothing(
    receiver, followup_endpoint, commit, deliver_all, supervisor
):
    product = DepartmentFactory(slug="product", name="产品部")
    with commit(), pytest.raises(RuntimeError), transaction.atomic():
        followup_services.open_followup(title="回滚", department=product, opened_by=supervisor)
        raise RuntimeError("the caller failed after opening")
    deliver_all()
    assert receiver.calls == [] and not Event.objects.exists()


def _survey(supervisor, anonymous: bool):
    return survey_services.create_survey(
        title="服务满意度",
        questions=[
            {"kind": "rating", "text": "整体满意度"},
            {"kind": "text", "text": "想说的话", "required": False},
        ],
        owner=supervisor,
        anonymous=anonymous,
    )


def test_a_survey_answer_reaches_the_receiver_with_scores_but_no_free_text(
    receiver, admin_user, commit, deliver_all, supervisor
):
    services.create_endpoint("BI", receiver.url, [EventType.SURVEY_ANSWERED], actor=admin_user)
    survey = _survey(supervisor, anonymous=False)
    rating, text = survey.questions.order_by("order")
    customer = CustomerFactory()
    invitation = survey_services.invite(survey, customer=customer)
    with commit():
        response = survey_services.submit_response(
            invitation, {rating.pk: 4, text.pk: "电话13812345678，服务很好"}
        )
    deliver_all()
    [call] = receiver.calls
    data = call["json"]["data"]
    assert call["json"]["type"] == "survey.answered"
    assert data["survey_id"] == survey.pk and data["anonymous"] is False
    assert data["customer_id"] == customer.pk and data["response_id"] == response.pk
    assert {a["question_id"]: a["number"] for a in data["answers"]}[rating.pk] == 4
    assert "13812345678" not in call["body"].decode() and "服务很好" not in call["body"].decode()


def test_an_anonymous_answer_names_nobody(receiver, admin_user, commit, deliver_all, supervisor):
    services.create_endpoint("BI", receiver.url, [EventType.SURVEY_ANSWERED], actor=admin_user)
    survey = _survey(supervisor, anonymous=True)
    rating, _text = survey.questions.order_by("order")
    invitation = survey_services.invite(survey, email="guest@example.cn", name="访客")
    with commit():
        survey_services.submit_response(invitation, {rating.pk: 5})
    deliver_all()
    [call] = receiver.calls
    assert set(call["json"]["data"]) == {"survey_id", "anonymous", "answered_on"}
    assert "guest@example.cn" not in call["body"].decode()
