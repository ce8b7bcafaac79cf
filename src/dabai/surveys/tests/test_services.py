"""Surveys as programmes and quality use them: build, invite, answer once, remind at most twice, results."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity
from dabai.surveys import services, tasks
from dabai.surveys.models import Answer, Invitation, Response, Survey
from dabai.testing import CustomerFactory, UserFactory, run_queued_tasks

QUESTIONS = [
    {"kind": "rating", "text": "培训整体满意度"},
    {"kind": "single", "text": "您来自哪个部门？", "choices": ["产品", "市场", "财务"]},
    {
        "kind": "multiple",
        "text": "哪些环节最有收获？",
        "choices": ["旁听", "讨论", "案例"],
        "required": False,
    },
    {"kind": "nps", "text": "您会向同事推荐吗？"},
    {"kind": "text", "text": "还有什么建议？", "required": False},
]


@pytest.fixture
def survey(db, supervisor):
    return services.create_survey(
        title="用户体验培训日反馈", questions=QUESTIONS, owner=supervisor, purpose="programs.session"
    )


def answers_for(survey, rating=5, dept="产品", parts=("旁听",), nps=9, text=""):
    q = {question.kind: question for question in survey.questions.all()}
    return {
        q["rating"].pk: rating,
        q["single"].field_name: dept,
        q["multiple"].pk: list(parts),
        q["nps"].pk: str(nps),
        q["text"].pk: text,
    }


def run_tasks(capture):
    with capture(execute=True):
        run_queued_tasks()


def test_create_survey_keeps_the_questions_in_order_and_refuses_bad_ones_without_storing(db, supervisor):
    survey = services.create_survey(title="反馈", questions=QUESTIONS, owner=supervisor)
    assert [q.kind for q in survey.questions.all()] == ["rating", "single", "multiple", "nps", "text"]
    assert survey.questions.get(kind="single").choices == ["产品", "市场", "财务"]

    with pytest.raises(ValidationError) as error:
        services.create_survey(
            title="坏问卷",
            questions=[
                {"kind": "rating", "text": "好"},
                {"kind": "single", "text": "选一个", "choices": ["唯一"]},
            ],
        )
    assert "questions.1.choices" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.create_survey(title="", questions=[{"kind": "stars", "text": ""}])
    assert {"title", "questions.0.kind", "questions.0.text"} <= set(error.value.message_dict)
    assert not Survey.objects.filter(title="坏问卷").exists()


def test_a_token_answers_once_and_a_second_answer_is_refused(survey):
    invitation = services.invite(survey, email="Wang@Example.cn", name="王经理")
    token = services.invitation_token(invitation)
    found = services.invitation_for_token(token)
    assert found == invitation and found.email == "wang@example.cn"

    response = services.submit_response(found, answers_for(survey, text="很有收获"))
    assert response.invitation == invitation and response.answers.count() == 5
    with pytest.raises(services.InvitationClosed) as closed:
        services.submit_response(services.invitation_for_token(token), answers_for(survey, rating=1))
    assert closed.value.reason == "answered"
    assert Response.objects.filter(survey=survey).count() == 1
    assert survey.questions.first().answers.get().number == 5


def test_forged_tampered_and_expired_tokens_open_nothing(survey):
    invitation = services.invite(survey, email="a@example.cn")
    token = services.invitation_token(invitation)
    assert services.invitation_for_token(token[:-2] + "xx") is None
    assert services.invitation_for_token("not-a-token") is None
    other = services.invite(survey, email="b@example.cn")
    # A correctly signed token with the wrong nonce (e.g. a replaced invitation) opens nothing either.
    forged = signing.dumps([other.pk, invitation.nonce], salt=services.TOKEN_SALT)
    assert services.invitation_for_token(forged) is None

    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    with pytest.raises(services.InvitationClosed) as closed:
        services.submit_response(invitation, answers_for(survey))
    assert closed.value.reason == "expired"
    services.set_open(survey, False)
    with pytest.raises(services.InvitationClosed) as closed:
        services.submit_response(other, answers_for(survey))
    assert closed.value.reason == "closed"


def test_every_bad_answer_is_named_and_nothing_is_half_written(survey):
    invitation = services.invite(survey, email="c@example.cn")
    q = list(survey.questions.all())
    with pytest.raises(ValidationError) as error:
        services.submit_response(
            invitation, {q[0].pk: 6, q[1].pk: "人事", q[2].pk: ["旁听", "午饭"], q[3].pk: "十", 999999: "x"}
        )
    problems = error.value.message_dict
    assert set(problems) == {q[0].field_name, q[1].field_name, q[2].field_name, q[3].field_name, "__all__"}
    assert "1" in problems[q[0].field_name][0] and "5" in problems[q[0].field_name][0]
    with pytest.raises(ValidationError) as error:
        services.submit_response(invitation, {q[4].pk: "只写了建议"})
    assert set(error.value.message_dict) == {q[0].field_name, q[1].field_name, q[3].field_name}
    assert not Answer.objects.exists() and not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.answered_at is None
    # Optional questions may stay empty; the same invitation still answers after the mistakes.
    response = services.submit_response(invitation, {q[0].pk: 4, q[1].pk: "财务", q[3].pk: 0, q[2].pk: []})
    assert response.answers.count() == 3


def test_anonymous_survey_stores_no_link_to_who_answered(db, supervisor):
    survey = services.create_survey(title="匿名", questions=QUESTIONS[:1], anonymous=True, owner=supervisor)
    invitation = services.invite(survey, email="d@example.cn", name="赵女士")
    response = services.submit_response(invitation, {survey.questions.get().pk: 2})
    response.refresh_from_db()
    invitation.refresh_from_db()
    assert response.invitation is None and response.submitted_at is None
    assert response.submitted_on == timezone.localdate()
    answered = timezone.localtime(invitation.answered_at)
    assert (answered.hour, answered.minute, answered.second) == (0, 0, 0)  # the day, not the moment
    out = io.StringIO()
    services.write_csv(survey, out)
    text = out.getvalue()
    assert "赵女士" not in text and "d@example.cn" not in text and "answered_at" not in text
    with pytest.raises(services.InvitationClosed):
        services.submit_response(invitation, {survey.questions.get().pk: 5})


def test_invitation_email_has_a_utf8_subject_and_the_one_time_link(
    survey, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.DABAI_PUBLIC_URL = "https://kefu.example.cn"
    invitation = services.invite(survey, email="e@example.cn", name="钱先生")
    with django_capture_on_commit_callbacks(execute=True):
        services.send_invitation(
            invitation, subject="邀请您填写培训反馈", body="钱先生您好，请点击：{link}\n谢谢"
        )
    run_tasks(django_capture_on_commit_callbacks)
    (mail,) = mailoutbox
    assert mail.subject == "邀请您填写培训反馈" and mail.to == ["e@example.cn"]
    assert "=?utf-8?" in mail.message().as_string()  # encoded-word subject
    token = re.search(r"https://kefu\.example\.cn/surveys/a/([^/\s]+)/", mail.body).group(1)
    assert services.invitation_for_token(token) == invitation
    invitation.refresh_from_db()
    assert invitation.sent_at is not None and invitation.last_sent_at is not None


def test_customers_and_users_are_reached_at_their_own_addresses(survey):
    customer = CustomerFactory(display_name="孙女士")
    ChannelIdentity.objects.create(customer=customer, channel=Channel.EMAIL, external_id="sun@example.cn")
    staff = UserFactory(email="staff@example.cn")
    assert services.recipient(services.invite(survey, customer=customer)) == "sun@example.cn"
    assert services.recipient(services.invite(survey, user=staff)) == "staff@example.cn"
    assert services.invite(survey, user=staff) == services.invite(survey, user=staff)  # one person, one link
    with pytest.raises(ValidationError):
        services.invite(survey)
    with pytest.raises(ValidationError):
        services.invite(survey, email="not-an-address")
    nobody = services.invite(survey, customer=CustomerFactory())
    with pytest.raises(ValidationError):
        services.send_invitation(nobody, subject="s", body="b")


def test_reminders_stop_after_two_and_never_reach_who_answered_or_expired(
    survey, mailoutbox, django_capture_on_commit_callbacks
):
    pending, answered, expired, _unsent = (
        services.invite(survey, email=f"{n}@example.cn") for n in ("pending", "answered", "expired", "unsent")
    )
    with django_capture_on_commit_callbacks(execute=True):
        for invitation in (pending, answered, expired):
            services.send_invitation(invitation, subject="培训反馈", body="{link}")
    run_tasks(django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 3
    services.submit_response(answered, answers_for(survey))
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(hours=1))

    sent = []
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            sent.append(services.send_reminders(survey))
        run_tasks(django_capture_on_commit_callbacks)
    assert sent == [1, 1, 0, 0]
    reminders = mailoutbox[3:]
    assert [m.to for m in reminders] == [["pending@example.cn"], ["pending@example.cn"]]
    assert all(m.subject.startswith("提醒") for m in reminders)
    pending.refresh_from_db()
    assert pending.reminders_sent == 2
    # With a gap, someone emailed a moment ago is not reminded yet.
    late = services.invite(survey, email="late@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        services.send_invitation(late, subject="培训反馈", body="{link}")
    run_tasks(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_reminders(survey, min_gap=timedelta(hours=48)) == 0


def test_a_reminder_queued_before_the_answer_is_not_sent_after_it(
    survey, mailoutbox, django_capture_on_commit_callbacks
):
    invitation = services.invite(survey, email="f@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        services.send_invitation(invitation, subject="培训反馈", body="{link}")
    run_tasks(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_reminders(survey) == 1
    services.submit_response(invitation, answers_for(survey))
    run_tasks(django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1


def test_results_count_choices_average_ratings_and_compute_nps(survey):
    given = [
        (5, "产品", ["旁听"], 10),
        (4, "产品", ["旁听", "讨论"], 9),
        (2, "财务", [], 6),
        (3, "市场", [], 8),
    ]
    for n, (rating, dept, parts, score) in enumerate(given):
        invitation = services.invite(survey, email=f"r{n}@example.cn")
        text = "请联系我 13812345678，旁听环节太短了" if n == 2 else ""
        services.submit_response(invitation, answers_for(survey, rating, dept, parts, score, text))
    outcome = services.results(survey)
    rating, single, multiple, nps, text = outcome.questions
    assert outcome.responses == 4 and outcome.invited == 4 and outcome.response_rate == 100.0
    assert rating.mean == 3.5 and dict((label, n) for label, n, _ in rating.counts)["5"] == 1
    assert [(label, n) for label, n, _ in single.counts] == [("产品", 2), ("市场", 1), ("财务", 1)]
    assert [(label, n) for label, n, _ in multiple.counts] == [("旁听", 2), ("讨论", 1), ("案例", 0)]
    # 2 promoters (10, 9), 1 passive (8), 1 detractor (6): 50% - 25% = 25.
    assert (nps.nps, nps.promoters, nps.passives, nps.detractors) == (25.0, 2, 1, 1)
    (comment,) = text.texts
    assert "13812345678" not in comment.text and "旁听环节太短了" in comment.text
    assert comment.sentiment in {"negative", "neutral", "positive"}


def test_csv_export_has_one_row_per_response_with_names_for_named_surveys_and_masked_text(survey):
    invitation = services.invite(survey, email="g@example.cn", name="周老师")
    services.submit_response(
        invitation, answers_for(survey, parts=("旁听", "案例"), text="=HYPERLINK 电话13812345678")
    )
    out = io.StringIO()
    assert services.write_csv(survey, out) == 1
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    assert header[:5] == ["n", "answered_on", "answered_at", "name", "email"]
    record = dict(zip(header, row, strict=True))
    assert record["name"] == "周老师" and record["email"] == "g@example.cn"
    assert record["哪些环节最有收获？"] == "旁听; 案例"
    assert record["还有什么建议？"].startswith("'=") and "13812345678" not in record["还有什么建议？"]
    assert record["还有什么建议？ (sentiment)"] in {"negative", "neutral", "positive"}


def test_questions_are_reordered_and_frozen_once_answered(survey):
    questions = list(survey.questions.all())
    services.move_question(questions[3], -1)
    services.move_question(questions[0], -1)  # already first: stays
    assert [q.kind for q in survey.questions.all()] == ["rating", "single", "nps", "multiple", "text"]
    added = services.add_question(survey, {"kind": "text", "text": "最后一个问题", "required": False})
    assert list(survey.questions.all())[-1] == added
    services.submit_response(services.invite(survey, email="h@example.cn"), answers_for(survey))
    with pytest.raises(ValidationError):
        services.add_question(survey, {"kind": "rating", "text": "太晚了"})
    with pytest.raises(ValidationError):
        services.delete_question(added)


def test_the_hourly_run_reminds_only_surveys_that_remind_automatically_and_keeps_its_gap(
    db, supervisor, mailoutbox, django_capture_on_commit_callbacks
):
    auto = services.create_survey(title="自动", questions=QUESTIONS[:1], owner=supervisor, auto_remind=True)
    manual = services.create_survey(title="手动提醒", questions=QUESTIONS[:1], owner=supervisor)
    people = [services.invite(auto, email="a1@example.cn"), services.invite(manual, email="m1@example.cn")]
    with django_capture_on_commit_callbacks(execute=True):
        for invitation in people:
            services.send_invitation(invitation, subject="请填写问卷", body="{link}")
    run_tasks(django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2

    chain = tasks.start_reminders()
    run_tasks(django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2  # emailed a moment ago: not yet
    Invitation.objects.update(last_sent_at=timezone.now() - timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_due.call(chain) == {"reminded": 1}
    run_tasks(django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox[2:]] == [["a1@example.cn"]]
    tasks.start_reminders()  # a new worker: the old chain retires at its next run
    assert tasks.remind_due.call(chain) == {"retired": True}
