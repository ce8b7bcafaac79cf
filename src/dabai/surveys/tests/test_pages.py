"""Survey pages: a supervisor builds with htmx, people answer by link, results and export for staff only."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from dabai.accounts.models import AuditEntry, Role
from dabai.surveys import services
from dabai.surveys.models import Invitation, Response, Survey
from dabai.testing import UserFactory


@pytest.fixture
def survey(db, supervisor):
    return services.create_survey(
        title="用户见面会反馈",
        intro="感谢您参加本次见面会。",
        questions=[
            {"kind": "rating", "text": "整体满意度"},
            {"kind": "single", "text": "您是怎么知道活动的？", "choices": ["短信", "公众号", "朋友"]},
            {"kind": "nps", "text": "您会推荐朋友参加吗？"},
            {"kind": "text", "text": "想对我们说的话", "required": False},
        ],
        owner=supervisor,
    )


def fields(survey: Survey) -> dict[str, str]:
    return {q.kind: q.field_name for q in survey.questions.all()}


def test_a_supervisor_builds_a_survey_with_htmx(client_for, supervisor):
    client = client_for(supervisor)
    response = client.post(reverse("surveys:index"), {"title": "培训日反馈", "intro": "", "anonymous": "on"})
    survey = Survey.objects.get(title="培训日反馈")
    assert response.status_code == 302 and survey.anonymous and survey.owner == supervisor
    add = reverse("surveys:question_add", args=[survey.pk])
    hx = {"HTTP_HX_REQUEST": "true"}
    page = client.post(add, {"kind": "rating", "text": "讲师讲得清楚吗？", "required": "on"}, **hx)
    assert (
        page.status_code == 200
        and 'id="questions"' in page.content.decode()
        and "<html" not in page.content.decode()
    )
    client.post(add, {"kind": "multiple", "text": "最喜欢的环节", "choices": "旁听\n讨论\n案例"}, **hx)
    bad = client.post(add, {"kind": "single", "text": "只有一个选项", "choices": "唯一"}, **hx)
    assert "2" in bad.content.decode() and survey.questions.count() == 2  # the form says why, nothing stored
    second = survey.questions.get(kind="multiple")
    client.post(reverse("surveys:question_move", args=[second.pk]), {"direction": "up"}, **hx)
    assert [q.kind for q in survey.questions.all()] == ["multiple", "rating"]
    client.post(reverse("surveys:question_delete", args=[second.pk]), **hx)
    assert [q.kind for q in survey.questions.all()] == ["rating"]
    assert AuditEntry.objects.filter(action="surveys.create", object_id=str(survey.pk)).exists()


def test_invitations_from_lines_name_every_bad_line_and_invite_nobody_until_fixed(
    client_for, supervisor, survey, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(supervisor)
    url = reverse("surveys:invite", args=[survey.pk])
    form = {"subject": "见面会反馈", "body": "您好，请填写：{link}"}
    bad = client.post(url, form | {"people": "王经理, wang@example.cn\n李女士 没有邮箱\n"})
    assert bad.status_code == 400 and "2" in bad.content.decode() and not Invitation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(url, form | {"people": "王经理, wang@example.cn\nli@example.cn\n"})
    assert ok.status_code == 302
    assert sorted(Invitation.objects.values_list("email", "name")) == [
        ("li@example.cn", ""),
        ("wang@example.cn", "王经理"),
    ]


def test_the_answer_page_takes_one_answer_and_keeps_what_was_typed_when_something_is_missing(survey):
    invitation = services.invite(survey, email="guest@example.cn", name="访客")
    url = services.invitation_path(invitation)
    anonymous = Client()
    page = anonymous.get(url)
    assert page.status_code == 200 and "用户见面会反馈" in page.content.decode()
    names = fields(survey)

    missing = anonymous.post(url, {names["rating"]: "4", names["text"]: "停车不方便"})
    text = missing.content.decode()
    assert missing.status_code == 400 and text.count('data-testid="question-error"') == 2
    assert "停车不方便" in text and not Response.objects.exists()

    done = anonymous.post(url, {names["rating"]: "4", names["single"]: "朋友", names["nps"]: "9"})
    assert done.status_code == 200 and 'data-testid="survey-thanks"' in done.content.decode()
    again = anonymous.get(url)
    assert again.status_code == 410 and 'data-reason="answered"' in again.content.decode()
    second = anonymous.post(url, {names["rating"]: "1", names["single"]: "短信", names["nps"]: "0"})
    assert second.status_code == 410 and Response.objects.count() == 1


def test_forged_and_expired_links_get_a_clear_page(survey):
    invitation = services.invite(survey, email="x@example.cn")
    url = services.invitation_path(invitation)
    forged = Client().get(url.replace("/a/", "/a/x"))
    assert forged.status_code == 404 and 'data-reason="invalid"' in forged.content.decode()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at="2020-01-01T00:00:00Z")
    expired = Client().get(url)
    assert expired.status_code == 410 and 'data-reason="expired"' in expired.content.decode()


def test_results_page_shows_counts_nps_and_masked_free_text_with_its_mood(client_for, supervisor, survey):
    names = fields(survey)
    for n, (rating, nps, text) in enumerate([(5, 10, "活动很棒，谢谢！"), (2, 3, "太吵了，回电13812345678")]):
        invitation = services.invite(survey, email=f"p{n}@example.cn")
        services.submit_response(
            invitation,
            {names["rating"]: rating, names["single"]: "短信", names["nps"]: nps, names["text"]: text},
        )
    page = client_for(supervisor).get(reverse("surveys:results", args=[survey.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'data-testid="nps">0.0<', html)  # 1 promoter, 1 detractor
    assert re.search(r'data-testid="mean">3.5<', html)
    assert "13812345678" not in html and "太吵了" in html
    assert html.count('data-testid="free-text"') == 2 and 'class="badge negative"' in html
    assert 'data-chart="bars"' in html and "echarts-5.6.0.min.js" in html
    assert AuditEntry.objects.filter(action="surveys.results_read", actor=supervisor).exists()


def test_export_is_audited_and_an_owner_who_is_not_a_supervisor_manages_only_their_survey(
    client_for, survey, department_member
):
    own = services.create_survey(
        title="产品部旁听反馈", questions=[{"kind": "rating", "text": "有收获吗？"}], owner=department_member
    )
    client = client_for(department_member)
    export = client.get(reverse("surveys:export", args=[own.pk]))
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert AuditEntry.objects.filter(action="surveys.export", object_id=str(own.pk)).exists()
    assert client.get(reverse("surveys:edit", args=[own.pk])).status_code == 200
    assert client.get(reverse("surveys:edit", args=[survey.pk])).status_code == 403
    assert client.get(reverse("surveys:index")).status_code == 403
    agent = UserFactory(role=Role.AGENT)
    assert client_for(agent).get(reverse("surveys:results", args=[survey.pk])).status_code == 403
