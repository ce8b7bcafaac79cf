"""Review pages: a supervisor draws a sample, a reviewer reviews, the agent reads the coaching note;
calibration agreement is for supervisors and never on the agent's page."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dabai.accounts.models import AuditEntry
from dabai.quality import reviews
from dabai.quality.models import Review, ReviewCycle, SampleItem

from .test_reviews import handled


@pytest.fixture
def questions(db):
    return [reviews.add_question("问题解决了吗？"), reviews.add_question("语气适合这位客户吗？")]


@pytest.fixture
def sampled(db, agent, other_agent):
    return [handled(agent, rating=1), handled(agent), handled(other_agent)]


def draw(client, **extra):
    today = timezone.localdate().isoformat()
    form = {"name": "第48周", "period_start": today, "period_end": today, "per_agent_per_week": 5}
    return client.post(reverse("quality:reviews"), form | {"random_share": 40, "seed": 99} | extra)


def test_supervisor_draws_a_sample_and_sees_why_each_conversation_was_picked(
    sampled, questions, supervisor, client_for
):
    client = client_for(supervisor)
    response = draw(client)
    cycle = ReviewCycle.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("quality:cycle", args=[cycle.pk])
    page = client.get(response["Location"]).content.decode()
    assert page.count('data-testid="sample-item"') == 3 and 'data-testid="seed">99<' in page
    assert "满意度低（1–2★）" in page or "Low satisfaction" in page
    assert AuditEntry.objects.filter(action="quality.cycle_create", object_id=str(cycle.pk)).exists()
    bad = draw(client, period_start="2026-01-10", period_end="2026-01-01")
    assert bad.status_code == 400 and ReviewCycle.objects.count() == 1


def test_review_form_needs_every_answer_and_the_agent_then_reads_the_coaching_note(
    sampled, questions, supervisor, agent, other_agent, client_for
):
    client = client_for(supervisor)
    draw(client)
    item = SampleItem.objects.filter(agent=agent).first()
    url = reverse("quality:review", args=[item.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="transcript"' in page and "好的，已经为您处理。" in page
    q1, q2 = questions
    missing = client.post(url, {f"q{q1.pk}": "yes", "coaching_note": "语气很亲切"})
    assert (
        missing.status_code == 400
        and "语气很亲切" in missing.content.decode()
        and not Review.objects.exists()
    )
    note = "先确认订单号再查物流，客户一次就说清楚了。下次可以主动告诉客户预计送达时间。"
    done = client.post(
        url, {f"q{q1.pk}": "yes", f"q{q2.pk}": "partly", f"n{q2.pk}": "稍显生硬", "coaching_note": note}
    )
    assert done.status_code == 302

    mine = client_for(agent).get(reverse("quality:mine")).content.decode()
    assert note in mine and "稍显生硬" in mine and str(supervisor) in mine
    theirs = client_for(other_agent).get(reverse("quality:mine")).content.decode()
    assert note not in theirs
    assert client_for(agent).get(url).status_code == 403  # agents read their reviews, they do not write them


def test_sampled_conversation_is_removed_only_with_a_reason_which_is_audited(sampled, supervisor, client_for):
    client = client_for(supervisor)
    draw(client)
    item = SampleItem.objects.first()
    client.post(reverse("quality:item_remove", args=[item.pk]), {"reason": ""})
    item.refresh_from_db()
    assert item.removed_at is None
    client.post(reverse("quality:item_remove", args=[item.pk]), {"reason": "测试账号"})
    item.refresh_from_db()
    assert item.removal_reason == "测试账号"
    entry = AuditEntry.objects.get(action="quality.sample_remove")
    assert entry.actor == supervisor and entry.detail["reason"] == "测试账号"


def test_calibration_agreement_is_shown_to_supervisors_and_kept_from_agents(
    sampled, questions, supervisor, admin_user, agent, client_for
):
    client = client_for(supervisor)
    draw(client)
    cycle = ReviewCycle.objects.get()
    items = list(cycle.items.all()[:2])
    form = {"name": "校准一", "reviewers": [supervisor.pk, admin_user.pk], "items": [i.pk for i in items]}
    response = client.post(reverse("quality:calibration_create", args=[cycle.pk]), form)
    calibration_url = response["Location"]
    q1, q2 = questions
    for reviewer, first in ((supervisor, "yes"), (admin_user, "no")):
        reviewer_client = client_for(reviewer)
        page = reviewer_client.get(calibration_url).content.decode()
        for link in re.findall(r'href="(/quality/reviews/calibrations/items/\d+/)"', page):
            reviewer_client.post(link, {f"q{q1.pk}": first, f"q{q2.pk}": "yes", "coaching_note": "校准备注"})
    page = client.get(calibration_url).content.decode()
    assert 'data-testid="agreement"' in page and "0.0%" in page and "100.0%" in page
    assert Review.objects.filter(calibration_item__isnull=False).count() == 4
    mine = client_for(agent).get(reverse("quality:mine")).content.decode()
    assert "校准备注" not in mine
    assert client_for(agent).get(calibration_url).status_code == 403


def test_supervisor_reads_one_agents_reviews_and_it_is_audited(
    sampled, questions, supervisor, agent, client_for
):
    client = client_for(supervisor)
    draw(client)
    item = SampleItem.objects.filter(agent=agent).first()
    reviews.review_item(
        item, reviewer=supervisor, answers={q.pk: ("yes", "") for q in questions}, coaching_note="做得好"
    )
    page = client.get(reverse("quality:agent_reviews", args=[agent.pk])).content.decode()
    assert "做得好" in page
    assert AuditEntry.objects.filter(action="quality.reviews_read", object_id=str(agent.pk)).exists()
    home = client.get(reverse("quality:reviews")).content.decode()
    assert reverse("quality:agent_reviews", args=[agent.pk]) in home
