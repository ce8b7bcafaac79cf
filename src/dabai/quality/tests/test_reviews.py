"""Sampled reviews, not checklists: a seeded sample weighted towards risk, short reviews, calibration."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from sklearn.metrics import cohen_kappa_score

from dabai.conversations.models import Status
from dabai.conversations.services import assign, change_status, post_reply, read_messages, receive_message
from dabai.core.choices import Channel
from dabai.quality import reviews, sampling, selectors, services
from dabai.quality.agreement import agreement
from dabai.quality.models import Outcome, Review, SampleItem
from dabai.testing import CustomerFactory


def handled(agent, body="请问订单什么时候发货？", channel=Channel.CHAT, rating=None):
    customer = CustomerFactory()
    received = receive_message(customer=customer, channel=channel, body=body)
    read_messages([received.message])
    conversation = received.message.conversation
    assign(conversation, agent, actor=agent)
    post_reply(conversation, agent, "好的，已经为您处理。")
    change_status(conversation, Status.RESOLVED, actor=agent)
    if rating is not None:
        survey = services.send_survey(conversation)
        services.answer_survey(survey, rating=rating)
    return conversation


@pytest.fixture
def questions(db):
    return [
        reviews.add_question("问题解决了吗？"),
        reviews.add_question("客户需要重复说明吗？"),
        reviews.add_question("语气适合这位客户吗？"),
    ]


@pytest.fixture
def period(db, agent, other_agent):
    """Eight resolved conversations for one agent (two rated 1★) and three for another."""
    low = [handled(agent, rating=1), handled(agent, rating=2)]
    plain = [handled(agent) for _ in range(6)]
    theirs = [handled(other_agent) for _ in range(3)]
    return {"low": low, "plain": plain, "theirs": theirs}


def verdicts(questions, *values, note=""):
    return {q.pk: (v, note) for q, v in zip(questions, values, strict=True)}


def test_draw_is_reproducible_from_its_seed_and_weighted_towards_risk():
    candidates = [sampling.Candidate(n, 1, ("low_csat",) if n < 5 else ()) for n in range(1, 101)]
    weights = sampling.DEFAULT_WEIGHTS
    first = sampling.draw(candidates, per_agent=5, random_share=40, weights=weights, seed=7)
    again = sampling.draw(list(reversed(candidates)), per_agent=5, random_share=40, weights=weights, seed=7)
    other = sampling.draw(candidates, per_agent=5, random_share=40, weights=weights, seed=8)
    assert [(p.conversation_id, p.reasons) for p in first] == [(p.conversation_id, p.reasons) for p in again]
    assert {p.conversation_id for p in first} != {p.conversation_id for p in other}
    risk = [p for p in first if "random" not in p.reasons]
    assert len(risk) == 3 and all(p.reasons == ["low_csat"] for p in risk)  # 60% drawn from the risky ones
    assert sum("random" in p.reasons for p in first) == 2


def test_a_cycle_samples_each_agent_with_reasons_and_shows_its_seed(period, agent, other_agent, supervisor):
    today = timezone.localdate()
    cycle = reviews.create_cycle(
        name="第48周",
        period_start=today - timedelta(days=6),
        period_end=today,
        created_by=supervisor,
        per_agent_per_week=4,
        random_share=50,
        seed=2026,
    )
    items = list(SampleItem.objects.filter(cycle=cycle))
    mine = [i for i in items if i.agent_id == agent.pk]
    theirs = [i for i in items if i.agent_id == other_agent.pk]
    assert len(mine) == 4 and len(theirs) == 3  # a quota of 4, or all they have
    low = {c.pk for c in period["low"]}
    risk_picks = [i for i in mine if "random" not in i.reasons]
    assert {i.conversation_id for i in risk_picks} == low  # both 1–2★ conversations were picked for risk
    assert all("low_csat" in i.reasons for i in risk_picks)
    redrawn = reviews.redraw(cycle)
    assert sorted(p.conversation_id for p in redrawn) == sorted(i.conversation_id for i in items)
    assert cycle.seed == 2026


def test_long_handling_means_the_slowest_fifth_and_never_a_chat_answered_in_seconds():
    quick = [1.0, 2.0, 3.0, 4.0, 900.0]
    assert sampling.long_handling_threshold(quick) == sampling.LONG_HANDLING_FLOOR_SECONDS
    slow = [600.0, 1200.0, 1800.0, 2400.0, 3000.0]
    assert sampling.long_handling_threshold(slow) == 2400.0
    assert sampling.long_handling_threshold([]) is None


def test_only_a_conversation_slower_than_the_threshold_is_flagged_for_long_handling(period):
    slow = period["plain"][0]
    Outcome.objects.filter(conversation=slow).update(resolution_seconds=3 * 3600)
    today = timezone.localdate()
    found, threshold = reviews.candidates(today - timedelta(days=6), today)
    flagged = {c.conversation_id for c in found if "long_handling" in c.flags}
    assert flagged == {slow.pk}
    assert threshold == sampling.LONG_HANDLING_FLOOR_SECONDS


def test_a_sampled_conversation_leaves_only_with_a_reason(period, supervisor):
    today = timezone.localdate()
    cycle = reviews.create_cycle(
        name="w", period_start=today, period_end=today, created_by=supervisor, seed=1
    )
    item = cycle.items.first()
    with pytest.raises(ValidationError):
        reviews.remove_item(item, by=supervisor, reason="  ")
    reviews.remove_item(item, by=supervisor, reason="客户是员工测试账号")
    item.refresh_from_db()
    assert item.removed_by == supervisor and item.removal_reason == "客户是员工测试账号"
    with pytest.raises(ValidationError):
        reviews.review_item(item, reviewer=supervisor, answers={}, coaching_note="")


def test_review_needs_every_question_answered_and_keeps_coaching_notes(period, questions, supervisor, agent):
    today = timezone.localdate()
    cycle = reviews.create_cycle(
        name="w", period_start=today, period_end=today, created_by=supervisor, seed=3
    )
    item = cycle.items.filter(agent=agent).first()
    with pytest.raises(ValidationError) as error:
        reviews.review_item(
            item, reviewer=supervisor, answers={questions[0].pk: ("maybe", "")}, coaching_note="x"
        )
    assert set(error.value.message_dict) == {f"q{q.pk}" for q in questions}
    assert not Review.objects.exists()
    review = reviews.review_item(
        item,
        reviewer=supervisor,
        answers=verdicts(questions, "yes", "partly", "yes", note="开头先确认了订单号，很好"),
        coaching_note="下次可以先告诉客户预计到货时间，客户就不用再问一次。",
    )
    assert review.agent == agent and review.answers.count() == 3
    assert (
        reviews.review_item(
            item,
            reviewer=supervisor,
            answers=verdicts(questions, "yes", "yes", "yes"),
            coaching_note="修改后",
        ).pk
        == review.pk
    )  # revising keeps one review per sampled conversation
    assert Review.objects.get().coaching_note == "修改后"


def test_at_most_five_questions_are_in_use(db):
    for n in range(5):
        reviews.add_question(f"问题{n}")
    with pytest.raises(ValidationError):
        reviews.add_question("第六个问题")
    reviews.retire_question(reviews.active_questions()[0])
    reviews.add_question("第六个问题")


def test_percent_agreement_and_kappa_match_the_textbook():
    two = [["yes", "yes"], ["no", "no"], ["yes", "no"], ["yes", "yes"]]
    result = agreement(two)
    expected = cohen_kappa_score([r[0] for r in two], [r[1] for r in two])
    assert result.method == "cohen" and result.percent == 75.0 and result.kappa == round(expected, 3) == 0.5
    three = [["yes"] * 3, ["no"] * 3, ["yes", "yes", "no"], ["yes", "no", "no"]]
    fleiss = agreement(three)
    assert fleiss.method == "fleiss" and fleiss.percent == 66.7 and fleiss.kappa == 0.333
    assert agreement([["yes", "yes"], ["yes", "yes"]]).kappa is None  # chance agreement is already total
    assert agreement([]).items == 0


def test_calibration_reviews_show_agreement_and_stay_out_of_the_agents_reviews(
    period, questions, supervisor, admin_user, agent
):
    conversations = period["low"] + period["plain"][:2]
    calibration = reviews.create_calibration(
        name="十一月校准",
        conversations=conversations,
        reviewers=[supervisor, admin_user],
        created_by=supervisor,
    )
    given = {supervisor: ["yes", "no", "yes", "yes"], admin_user: ["yes", "no", "no", "yes"]}
    for reviewer, firsts in given.items():
        for item, first in zip(calibration.items.all(), firsts, strict=True):
            reviews.review_calibration_item(
                item, reviewer=reviewer, answers=verdicts(questions, first, "no", "yes"), coaching_note="校准"
            )
    reviewers, _asked, figures, rows = selectors.calibration(calibration)
    assert reviewers == sorted([supervisor, admin_user], key=lambda u: u.pk) and len(rows) == 4
    first = figures[0].result
    assert first.items == 4 and first.percent == 75.0 and first.method == "cohen"
    assert figures[1].result.percent == 100.0 and figures[1].result.kappa is None
    assert selectors.reviews_of(agent) == []  # calibration reviews never reach the agent
    with pytest.raises(ValidationError):
        reviews.review_calibration_item(
            calibration.items.first(), reviewer=agent, answers=verdicts(questions, "yes", "yes", "yes")
        )
