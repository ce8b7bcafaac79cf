"""Agents correct the filter's badges: stored with who and when, audited, permission-checked, and kept
whatever later readings of the message say."""

import pytest
from django.core.exceptions import PermissionDenied

from dabai.accounts.models import AuditEntry
from dabai.conversations import services
from dabai.conversations.models import Insight, LabelCorrection
from dabai.filter import analyse
from dabai.testing import ConversationFactory, MessageFactory

COMPLAINT = "你们的快递三天了还没到，太让人生气了"


@pytest.fixture
def message(hotline):
    conversation = ConversationFactory(team=hotline)
    message = MessageFactory(conversation=conversation, body="你们周末营业吗？")
    services.read_messages([message])
    return message


def test_an_agent_corrects_sentiment_and_the_insight_column_changes_with_who_and_when_audited(agent, message):
    before = Insight.objects.get(message=message).sentiment
    wanted = "positive" if before != "positive" else "neutral"

    correction = services.correct_insight(message, signal="sentiment", value=wanted, actor=agent)

    insight = Insight.objects.get(message=message)
    assert insight.sentiment == wanted
    assert correction.corrected_by == agent and correction.corrected_at is not None
    assert correction.previous == before
    note = insight.analysis["corrections"]["sentiment"]
    assert (note["value"], note["model"], note["by"]) == (wanted, before, str(agent))
    audit = AuditEntry.objects.get(action="insight.corrected")
    assert audit.actor == agent and audit.object_id == str(message.pk)
    assert audit.detail["signal"] == "sentiment" and audit.detail["value"] == wanted


def test_yes_no_signals_and_intent_take_the_corrected_value_at_once(agent, message):
    services.correct_insight(message, signal="escalation", value=True, actor=agent)
    services.correct_insight(message, signal="spam", value="true", actor=agent)
    services.correct_insight(message, signal="intent", value="billing", actor=agent)
    services.correct_insight(message, signal="voice", value="complaint", actor=agent)
    insight = Insight.objects.get(message=message)
    assert insight.escalation_risk and insight.is_spam
    assert (insight.intent, insight.voice) == ("billing", "complaint")
    assert Insight.objects.filter(intent="billing", escalation_risk=True).count() == 1  # reports read columns


def test_corrections_keep_their_history_and_the_latest_wins(agent, supervisor, message):
    services.correct_insight(message, signal="intent", value="billing", actor=agent)
    services.correct_insight(message, signal="intent", value="account", actor=supervisor)
    assert list(
        LabelCorrection.objects.filter(message=message).order_by("id").values_list("value", flat=True)
    ) == [
        "billing",
        "account",
    ]
    insight = Insight.objects.get(message=message)
    assert insight.intent == "account"
    assert insight.analysis["corrections"]["intent"]["by"] == str(supervisor)

    services.store_insights([(message, analyse(message.body).to_dict())])
    assert Insight.objects.get(message=message).intent == "account"


def test_corrected_labels_survive_a_new_reading_whatever_the_model_says(agent, message):
    services.correct_insight(message, signal="sentiment", value="negative", actor=agent)
    services.correct_insight(message, signal="spam", value=False, actor=agent)
    services.correct_insight(message, signal="escalation", value=True, actor=agent)

    # The sweep (or a new model) reads the message again: a reading that disagrees on every signal.
    reading = analyse(message.body).to_dict()
    reading["sentiment"] = {"label": "positive", "score": 0.99}
    reading["spam"] = {"is_spam": True, "score": 0.99, "reason": "seo"}
    reading["escalation"] = {"risk": False, "score": 0.01}
    reading["uncertain"] = ["sentiment", "voice"]
    services.store_insights([(message, reading)])
    services.read_messages([message])
    services.store_insights([(message, reading)])

    insight = Insight.objects.get(message=message)
    assert insight.sentiment == "negative"
    assert insight.is_spam is False
    assert insight.escalation_risk is True
    assert insight.analysis["sentiment"]["label"] == "positive"  # the model's own reading stays readable
    assert insight.analysis["corrections"]["sentiment"]["model"] == "positive"
    assert insight.analysis["uncertain"] == ["voice"]  # a corrected signal is no longer uncertain


def test_uncorrected_signals_still_follow_the_new_reading(agent, message):
    services.correct_insight(message, signal="sentiment", value="neutral", actor=agent)
    reading = analyse(COMPLAINT).to_dict()
    reading["intent"] = {"label": "logistics", "score": 0.9}
    services.store_insights([(message, reading)])
    insight = Insight.objects.get(message=message)
    assert (insight.sentiment, insight.intent) == ("neutral", "logistics")


@pytest.mark.parametrize("who", ["other_agent", "department_member", "customer_user"])
def test_only_people_who_may_open_the_conversation_may_correct_it(who, request, message):
    person = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.correct_insight(message, signal="sentiment", value="negative", actor=person)
    assert not LabelCorrection.objects.exists()
    assert not AuditEntry.objects.filter(action="insight.corrected").exists()


@pytest.mark.parametrize(
    ("signal", "value"),
    [("sentiment", "furious"), ("intent", "weather"), ("urgency", "low"), ("spam", "maybe")],
)
def test_a_label_the_filter_does_not_know_is_refused(agent, message, signal, value):
    with pytest.raises(services.InvalidCorrection):
        services.correct_insight(message, signal=signal, value=value, actor=agent)
    assert not LabelCorrection.objects.exists()


def test_the_filters_uncertain_signals_are_stored_with_the_reading(message):
    insight = Insight.objects.get(message=message)
    assert isinstance(insight.analysis["uncertain"], list)
    assert set(insight.analysis["uncertain"]) <= {"sentiment", "intent", "voice"}
