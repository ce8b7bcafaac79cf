"""Correcting a badge on the desk: one small menu per badge, shown as corrected with who did it; a badge the
model is not sure of reads as uncertain, never as a confident label."""

import pytest
from django.urls import reverse

from dabai.accounts.models import AuditEntry
from dabai.conversations import services
from dabai.conversations.models import Insight, LabelCorrection
from dabai.filter import analyse
from dabai.testing import ConversationFactory, MessageFactory

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def message(hotline):
    message = MessageFactory(conversation=ConversationFactory(team=hotline), body="你们周末营业吗？")
    services.read_messages([message])
    return message


def page(client, message) -> str:
    response = client.get(reverse("desk:detail", args=[message.conversation_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_every_correctable_badge_offers_the_filters_labels(agent, client_for, message):
    html = page(client_for(agent), message)
    assert 'data-testid="correct-sentiment"' in html
    assert 'name="value" value="negative"' in html and 'name="value" value="positive"' in html
    assert 'data-testid="correct-more"' in html  # escalation and spam, which have no badge now
    assert 'value="escalation:true"' in html and 'value="spam:true"' in html


def test_an_agent_corrects_a_badge_in_one_post_and_it_shows_as_corrected_by_them(agent, client_for, message):
    client = client_for(agent)
    url = reverse("desk:correct", args=[message.pk])
    assert client.get(url).status_code == 405

    response = client.post(url, {"signal": "sentiment", "value": "negative"}, **HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="corrected"' in html and str(agent) in html
    assert Insight.objects.get(message=message).sentiment == "negative"
    assert AuditEntry.objects.filter(action="insight.corrected", actor=agent).count() == 1
    assert 'data-testid="corrected"' in page(client, message)


def test_the_correct_menu_sets_escalation_and_spam(agent, client_for, message):
    client = client_for(agent)
    url = reverse("desk:correct", args=[message.pk])
    assert client.post(url, {"value": "escalation:true"}, **HX).status_code == 200
    assert Insight.objects.get(message=message).escalation_risk is True
    response = client.post(url, {"value": "spam:true"})
    assert response.status_code == 302  # without htmx: back to the conversation
    assert Insight.objects.get(message=message).is_spam is True


def test_nonsense_is_a_400_and_changes_nothing(agent, client_for, message):
    url = reverse("desk:correct", args=[message.pk])
    response = client_for(agent).post(url, {"signal": "sentiment", "value": "furious"}, **HX)
    assert response.status_code == 400
    assert not LabelCorrection.objects.exists()


@pytest.mark.parametrize("who", ["other_agent", "department_member", "customer_user"])
def test_people_who_may_not_open_the_conversation_cannot_correct(who, request, client_for, message):
    url = reverse("desk:correct", args=[message.pk])
    response = client_for(request.getfixturevalue(who)).post(
        url, {"signal": "sentiment", "value": "negative"}
    )
    assert response.status_code in (403, 404)
    assert not LabelCorrection.objects.exists()


def test_a_signal_below_the_models_floor_reads_uncertain_with_its_guess(agent, client_for, message):
    reading = analyse(message.body).to_dict()
    reading["sentiment"] = {"label": "neutral", "score": 0.41}
    reading["uncertain"] = ["sentiment"]
    services.store_insights([(message, reading)])

    html = page(client_for(agent), message)
    assert "情绪：不确定 (中性?)" in html
    assert 'class="badge uncertain' in html

    services.correct_insight(message, signal="sentiment", value="neutral", actor=agent)
    html = page(client_for(agent), message)
    assert "不确定" not in html  # a person settled it
