"""Articles drafted from conversations and the logged help-centre questions leave the desk: the lenient mask
applies, so spaced or dotted numbers and IDs with a wrong check digit never reach them."""

from django.urls import reverse

from dabai.conversations.models import Direction, Status
from dabai.knowledge.models import SearchLog
from dabai.knowledge.services import draft_from_conversation
from dabai.testing import ConversationFactory, MessageFactory


def test_article_drafted_from_a_conversation_masks_personal_number_variants(db, supervisor):
    conversation = ConversationFactory(status=Status.RESOLVED, subject="回电 139 12345678")
    MessageFactory(conversation=conversation, body="手机138.1234.5678，身份证110105194912310021，怎么退款？")
    MessageFactory(
        conversation=conversation, direction=Direction.OUTBOUND, body="您的订单号20240307123456789已退款"
    )
    article = draft_from_conversation(conversation, actor=supervisor)
    text = article.title + article.body + article.summary
    for raw in ("139 12345678", "138.1234.5678", "110105194912310021"):
        assert raw not in text
    assert "138.****.5678" in text and "订单号20240307123456789" in text


def test_logged_help_centre_question_masks_a_spaced_mobile(db, client):
    client.get(reverse("help:search"), {"q": "退款 138 12345678"})
    assert "138 ****5678" in SearchLog.objects.get().query
