"""A customer meet-up (用户见面会): the public registration page, the door, live Q&A, the prize draw; public
doors are rate-limited and show nobody else's data."""

import pytest
from django.core import mail
from django.urls import reverse

from dabai.programs.models import Question, Registration, RegStatus
from dabai.programs.services import meetup as live
from dabai.programs.services import seats
from dabai.testing import run_queued_tasks


def _sign_up(client, session, name, email, **extra):
    data = {"name": name, "email": email, "consent": "on", **extra}
    return client.post(reverse("programs:meetup", args=[session.pk]), data)


def test_a_customer_registers_on_the_public_page_and_gets_a_confirmation_with_a_cancel_link(
    client, meetup, committed
):
    with committed():
        response = _sign_up(client, meetup, "韩小姐", "han@example.cn")
    registration = Registration.objects.get(session=meetup)
    assert response.status_code == 302 and response["Location"].endswith(f"/r/{registration.token}/")
    assert registration.status == RegStatus.CONFIRMED and registration.consent_at is not None
    run_queued_tasks()
    (letter,) = mail.outbox
    assert registration.token in letter.body and "报名成功" in letter.subject
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="door-qr"' in page and 'data-testid="cancel"' in page
    qr = client.get(reverse("programs:mine_qr", args=[registration.token]))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/png"
    client.post(reverse("programs:mine_answer", args=[registration.token]), {"action": "cancel"})
    registration.refresh_from_db()
    assert registration.status == RegStatus.CANCELLED


def test_the_form_without_consent_or_contact_is_refused_with_a_reason_and_stores_nothing(client, meetup):
    no_consent = client.post(
        reverse("programs:meetup", args=[meetup.pk]), {"name": "张先生", "email": "z@example.cn"}
    )
    no_contact = client.post(
        reverse("programs:meetup", args=[meetup.pk]), {"name": "张先生", "consent": "on"}
    )
    assert no_consent.status_code == 200 and no_contact.status_code == 200
    assert "errorlist" in no_consent.content.decode() and "errorlist" in no_contact.content.decode()
    assert not Registration.objects.exists()


def test_registering_again_with_the_same_address_reveals_nothing_and_keeps_one_registration(client, meetup):
    _sign_up(client, meetup, "韩小姐", "han@example.cn")
    stranger = _sign_up(client.__class__(), meetup, "冒名者", "han@example.cn")
    html = stranger.content.decode()
    token = Registration.objects.get(session=meetup).token
    assert stranger.status_code == 200 and token not in html and 'data-testid="already"' in html
    assert Registration.objects.filter(session=meetup).count() == 1


def test_a_persons_page_shows_only_their_own_data(client, meetup):
    _sign_up(client, meetup, "韩小姐", "han@example.cn", phone="13812345678")
    _sign_up(client, meetup, "张先生", "zhang@example.cn")
    han = Registration.objects.get(name="韩小姐")
    html = client.get(reverse("programs:mine", args=[han.token])).content.decode()
    assert "韩小姐" in html and "张先生" not in html and "zhang@example.cn" not in html
    assert client.get(reverse("programs:mine", args=["forged-token"])).status_code == 404


def test_public_doors_are_rate_limited_per_address(client, meetup, settings):
    settings.DABAI_PROGRAMS_PUBLIC_REQUESTS = 3
    codes = [
        client.get(reverse("programs:verify_code", args=[f"ABCDEFGH{i}{i}"])).status_code for i in range(2, 6)
    ]
    assert codes == [404, 404, 404, 429]
    limited = client.get(reverse("programs:verify_code", args=["ABCDEFGH77"]))
    assert int(limited["Retry-After"]) > 0
    other = client.get(reverse("programs:verify_code", args=["ABCDEFGH22"]), REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 404
    writes = [_sign_up(client, meetup, f"客户{i}", f"c{i}@example.cn").status_code for i in range(4)]
    assert writes == [302, 302, 302, 429]


@pytest.fixture
def attendees(meetup, supervisor):
    people = [
        seats.register_public(meetup, name=name, email=f"{i}@example.cn", consent=True).registration
        for i, name in enumerate(["韩小姐", "张先生"])
    ]
    for person in people:
        seats.check_in(person, actor=supervisor)
    return people


def test_attendees_ask_and_upvote_once_and_staff_mark_answered(
    client, meetup, attendees, client_for, supervisor
):
    han, zhang = attendees
    client.post(reverse("programs:questions", args=[han.token]), {"body": "退款多久到账？"})
    question = Question.objects.get()
    for _ in range(2):
        client.post(reverse("programs:upvote", args=[zhang.token]), {"question": question.pk})
    question.refresh_from_db()
    assert question.votes == 1
    listing = client.get(reverse("programs:questions_list", args=[zhang.token])).content.decode()
    assert "退款多久到账？" in listing and "韩小姐" not in listing
    staff = client_for(supervisor)
    staff.post(reverse("programs:answered", args=[meetup.pk]), {"question": question.pk})
    question.refresh_from_db()
    assert question.answered_at is not None


def test_a_question_and_its_answer_become_a_masked_help_centre_draft(
    client, meetup, attendees, client_for, supervisor
):
    from dabai.knowledge.models import Article, ArticleStatus

    han, _zhang = attendees
    asked = "我电话13912345678，退款多久到账？"
    client.post(reverse("programs:questions", args=[han.token]), {"body": asked})
    question = Question.objects.get()
    staff = client_for(supervisor)
    url = reverse("programs:question_draft", args=[meetup.pk])
    staff.post(url, {"question": question.pk, "answer": "  "})
    assert not Article.objects.exists(), "no draft without the answer"
    staff.post(url, {"question": question.pk, "answer": "原路退回，一般1到3个工作日到账。"})
    article = Article.objects.get()
    assert article.status == ArticleStatus.DRAFT
    assert "13912345678" not in article.title and "退款多久到账" in article.title
    assert article.body == "原路退回，一般1到3个工作日到账。"
    question.refresh_from_db()
    assert question.answered_at is not None
    assert client.get(f"/help/a/{article.slug}/").status_code == 404, "a draft is not public"


def test_only_confirmed_attendees_may_ask(meetup, supervisor):
    for i in range(2):
        seats.register_public(meetup, name=f"客户{i}", email=f"c{i}@example.cn", consent=True)
    waiting = seats.register_public(meetup, name="候补", email="w@example.cn", consent=True).registration
    with pytest.raises(live.QuestionError):
        live.ask(waiting, "我能提问吗？")


def test_the_prize_draw_is_among_checked_in_attendees_and_reproducible(meetup, attendees, supervisor):
    absent = seats.register_public(meetup, name="没来", email="absent@example.cn", consent=True).registration
    first = live.prize_draw(meetup, winners=1, seed=2026, actor=supervisor)
    again = live.prize_draw(meetup, winners=1, seed=2026, actor=supervisor)
    assert first == again
    assert {row["registration_id"] for row in first} == {a.pk for a in attendees}
    assert absent.pk not in {row["registration_id"] for row in first}
    assert sum(row["winner"] for row in first) == 1
    meetup.refresh_from_db()
    assert meetup.draw_seed == 2026 and meetup.draw_log == first


def test_staff_check_in_by_name_search_on_the_phone_page(client_for, supervisor, meetup, attendees):
    staff = client_for(supervisor)
    found = staff.get(reverse("programs:checkin", args=[meetup.pk]), {"q": "韩"}).content.decode()
    assert "韩小姐" in found and "张先生" not in found
    by_qr = staff.get(reverse("programs:checkin_token", args=[attendees[0].token]))
    assert by_qr.status_code == 200 and "韩小姐" in by_qr.content.decode()
