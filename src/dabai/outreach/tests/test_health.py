"""Customers at risk: explainable scores, computed set-wise, with history, and one-click reach out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dabai.conversations.models import Direction, Insight, Status
from dabai.core.choices import Channel
from dabai.customers.models import Tier
from dabai.outreach.factors import explain
from dabai.outreach.models import HealthHistory, HealthScore, ReachOut
from dabai.outreach.services import health, reaching
from dabai.routing.models import AgentRouting, ComplaintCase
from dabai.testing import ConversationFactory, CustomerFactory, MessageFactory, UserFactory

pytestmark = pytest.mark.django_db


def write(customer, body, *, sentiment="negative", intent="other", escalation=False, days_ago=1):
    conversation = ConversationFactory(customer=customer, channel=Channel.SMS)
    message = MessageFactory(
        conversation=conversation, body=body, sent_at=timezone.now() - timedelta(days=days_ago)
    )
    Insight.objects.create(
        message=message,
        sentiment=sentiment,
        intent=intent,
        urgency="normal",
        escalation_risk=escalation,
        model_version="test",
    )
    return conversation


@pytest.fixture
def angry(db):
    customer = CustomerFactory(display_name="赵六", tier=Tier.VIP)
    write(customer, "又断网了")
    write(customer, "再不修我就投诉到工信部", escalation=True)
    write(customer, "我要销户", intent="cancellation")
    return customer


def test_every_point_of_the_score_is_explained(angry):
    calm = CustomerFactory(display_name="平静")
    write(calm, "谢谢", sentiment="positive")
    health.compute_scores()
    score = HealthScore.objects.get(customer=angry)
    keys = {f["key"]: f["points"] for f in score.factors}
    assert set(keys) == {
        "repeat_contacts",
        "negative_sentiment",
        "escalation_cues",
        "cancellation_intent",
        "high_value",
    }
    assert score.score == sum(keys.values())
    assert "3" in explain(next(f for f in score.factors if f["key"] == "repeat_contacts"))
    assert not HealthScore.objects.filter(customer=calm).exists()


def test_open_complaints_add_to_the_risk(angry):
    health.compute_scores()
    before = HealthScore.objects.get(customer=angry).score
    conversation = angry.conversations.first()
    ComplaintCase.objects.create(
        conversation=conversation, customer=angry, opened_at=timezone.now(), due_at=timezone.now()
    )
    health.compute_scores()
    assert HealthScore.objects.get(customer=angry).score == min(before + 15, 100)


def test_history_keeps_a_row_per_customer_per_day_it_changed(angry):
    health.compute_scores()
    health.compute_scores()
    assert HealthHistory.objects.filter(customer=angry).count() == 1
    angry.conversations.update(created_at=timezone.now() - timedelta(days=60))
    Insight.objects.filter(message__conversation__customer=angry).delete()
    health.compute_scores()
    assert HealthScore.objects.get(customer=angry).score == 0
    assert HealthHistory.objects.get(customer=angry).score == 0  # same day: the day's row is updated


def test_scores_take_a_fixed_number_of_queries(django_assert_max_num_queries):
    customers = [CustomerFactory() for _ in range(30)]
    for customer in customers:
        write(customer, "太差了")
        write(customer, "还没好")
    with django_assert_max_num_queries(14):
        assert health.compute_scores() == 30


def test_reach_out_opens_an_outbound_conversation_for_a_senior_agent(angry, supervisor, hotline):
    senior = UserFactory(username="senior", teams=[hotline])
    AgentRouting.objects.create(user=senior, is_expert_seat=True)
    health.compute_scores()
    done = reaching.reach_out(angry, supervisor)
    conversation = done.conversation
    assert conversation.assignee == senior and conversation.status == Status.OPEN
    note = conversation.messages.get(direction=Direction.NOTE)
    assert "销" in note.body or "cancel" in note.body.lower()
    assert ReachOut.objects.get().score == HealthScore.objects.get(customer=angry).score


def test_a_channel_probe_is_never_at_risk(angry):
    """Quality's channel probes write every ten minutes as customers of their own; a supervisor's at-risk list
    must not fill with them."""
    probe = CustomerFactory(display_name="拨测", is_probe=True)
    write(probe, "又断网了")
    write(probe, "再不修我就投诉到工信部", escalation=True)
    health.compute_scores()
    assert HealthScore.objects.filter(customer=angry).exists()
    assert not HealthScore.objects.filter(customer=probe).exists()
