"""Knowledge at the agent's desk: suggestions, knowledge SMS, drafts from conversations, versions, gaps."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from dabai.conversations.models import Conversation, Direction, Status
from dabai.core.choices import Channel
from dabai.knowledge.models import Article, ArticleStatus, BotEvent, SearchLog, Synonym
from dabai.knowledge.selectors import content_gaps, suggestions_for, version_diff
from dabai.knowledge.services import save_article
from dabai.testing import ChannelIdentityFactory, ConversationFactory, MessageFactory


@pytest.fixture
def refund_question(db, hotline):
    conversation = ConversationFactory(team=hotline, subject="退款问题")
    MessageFactory(conversation=conversation, body="我上周申请的退款怎么还没到账？")
    return conversation


def test_agent_sees_the_best_articles_for_the_conversation(help_centre, refund_question):
    hits = suggestions_for(refund_question, limit=3)
    assert hits[0].article == help_centre["refund-time"]
    assert len(hits) <= 3


def test_suggestions_include_renders_with_insert_buttons(help_centre, refund_question, agent, client_for):
    html = client_for(agent).get(reverse("knowledge:suggestions", args=[refund_question.pk])).content.decode()
    assert help_centre["refund-time"].title in html or "/help/a/refund-time/" in html
    assert "data-knowledge-insert" in html
    assert "/help/s/" in html
    lazy = render_to_string("knowledge/_suggestions.html", {"conversation": refund_question})
    assert reverse("knowledge:suggestions", args=[refund_question.pk]) in lazy


def test_suggestions_respect_who_may_see_the_conversation(
    help_centre, refund_question, other_agent, client_for
):
    response = client_for(other_agent).get(reverse("knowledge:suggestions", args=[refund_question.pk]))
    assert response.status_code == 404


def test_knowledge_sms_sends_short_link_and_summary_to_the_customer(
    help_centre, refund_question, agent, client_for
):
    ChannelIdentityFactory(
        customer=refund_question.customer, channel=Channel.PHONE, external_id="13800138000"
    )
    article = help_centre["refund-time"]
    response = client_for(agent).post(
        reverse("knowledge:sms", args=[article.pk]), {"conversation": refund_question.pk}
    )
    sms = Conversation.objects.get(customer=refund_question.customer, channel=Channel.SMS)
    assert response["Location"] == reverse("desk:detail", args=[sms.pk])
    text = sms.messages.get(direction=Direction.OUTBOUND).body
    assert article.summary[:20] in text
    assert "/help/s/" in text


def test_knowledge_sms_without_a_phone_number_explains_itself(
    help_centre, refund_question, agent, client_for
):
    article = help_centre["refund-time"]
    client_for(agent).post(reverse("knowledge:sms", args=[article.pk]), {"conversation": refund_question.pk})
    assert not Conversation.objects.filter(channel=Channel.SMS).exists()


def test_resolved_conversation_becomes_a_masked_draft(agent, client_for, hotline):
    conversation = ConversationFactory(team=hotline, subject="积分过期", status=Status.RESOLVED)
    MessageFactory(conversation=conversation, body="我的积分怎么过期了？手机13812345678")
    MessageFactory(
        conversation=conversation, direction=Direction.OUTBOUND, body="积分有效期为两年，可在App查看"
    )
    client_for(agent).post(reverse("knowledge:from_conversation", args=[conversation.pk]))
    draft = Article.objects.get(source_conversation=conversation)
    assert draft.status == ArticleStatus.DRAFT
    assert "积分有效期为两年" in draft.body
    assert "13812345678" not in draft.body


def test_every_save_is_a_version_with_a_readable_diff(agent, client_for):
    article = save_article(actor=agent, title="发票说明", body="电子发票24小时内发送。")
    save_article(actor=agent, article=article, title="发票说明", body="电子发票12小时内发送。")
    article.refresh_from_db()
    assert article.version == 2
    lines = version_diff(article, 1, 2)
    assert "-电子发票24小时内发送。" in lines and "+电子发票12小时内发送。" in lines
    page = client_for(agent).get(reverse("knowledge:diff", args=[article.pk]), {"old": 1, "new": 2})
    assert "12小时" in page.content.decode()


def test_agents_draft_but_only_supervisors_publish(agent, supervisor, client_for):
    article = save_article(actor=agent, title="新功能说明", body="内容")
    client_for(agent).post(reverse("knowledge:status", args=[article.pk]), {"status": "published"})
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT
    client_for(supervisor).post(reverse("knowledge:status", args=[article.pk]), {"status": "published"})
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED


def test_only_admins_edit_synonyms(admin_user, supervisor, client_for):
    assert (
        client_for(supervisor).post(reverse("knowledge:synonyms"), {"words": "退款 退钱"}).status_code == 403
    )
    client_for(admin_user).post(reverse("knowledge:synonyms"), {"words": "退款，退钱、退费"})
    # The newest group (the defaults of migration 0008 come first).
    assert Synonym.objects.latest("pk").word_list() == ["退款", "退钱", "退费"]


def test_customers_and_departments_never_see_the_knowledge_desk(customer_user, department_member, client_for):
    for user in (customer_user, department_member):
        assert client_for(user).get(reverse("knowledge:list")).status_code == 403


def test_agent_creates_and_edits_an_article_through_the_form(agent, client_for):
    client = client_for(agent)
    client.post(
        reverse("knowledge:new"),
        {"title": "积分规则", "body": "积分两年有效", "language": "zh-hans", "tags": "积分, 会员"},
    )
    article = Article.objects.get(title="积分规则")
    assert sorted(article.tags.values_list("name", flat=True)) == ["会员", "积分"]
    assert client.get(reverse("knowledge:list"), {"q": "积分"}).content.decode().count("积分规则") == 1


def test_content_gaps_group_weak_searches_and_hand_overs_by_topic(
    help_centre, client, supervisor, client_for
):
    for query in ["数字人民币能付款吗", "数字人民币付款", "能不能用数字人民币付款"]:
        client.get(reverse("help:search"), {"q": query})
    conversation = ConversationFactory()
    BotEvent.objects.create(
        conversation=conversation, action="hand_over", reason="low_confidence", topic="人民币 数字"
    )
    gaps = content_gaps()
    top = gaps[0]
    assert top.searches >= 2
    assert SearchLog.objects.filter(is_gap=True).count() == 3
    assert client_for(supervisor).get(reverse("knowledge:gaps")).status_code == 200


def test_agent_attaches_a_file_to_an_article(agent, client_for, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    article = save_article(actor=agent, title="发票样张", body="见附件")
    upload = SimpleUploadedFile("sample.pdf", b"%PDF-1.4 sample", content_type="application/pdf")
    client_for(agent).post(
        reverse("knowledge:attachment_add", args=[article.pk]), {"name": "发票样张", "file": upload}
    )
    assert article.attachments.get().name == "发票样张"
