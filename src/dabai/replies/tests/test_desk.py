"""The conversation page as an agent uses it: masked personal data, badges with reasons, drafts, macros,
mentions, the customer panel and the next-conversation shortcut."""

import importlib
import re

import pytest
from django.urls import reverse

from dabai.accounts.models import AuditEntry, Role
from dabai.conversations.models import Direction, Insight, Status
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity, CustomerTag
from dabai.replies import services
from dabai.replies.models import Macro, Mention
from dabai.testing import ConversationFactory, CustomerFactory, MessageFactory, UserFactory, run_queued_tasks

ANGRY = "师傅，订单DD20240101123456一周了还没到，气死我了！电话13812345678，再不处理我就投诉到12315！"


def receive(django_capture_on_commit_callbacks, **kwargs):
    """A customer message as a channel delivers it, analysed by the filter as the worker would."""
    with django_capture_on_commit_callbacks(execute=True):
        received = receive_message(**kwargs)
    run_queued_tasks()
    return received


@pytest.fixture
def angry_conversation(db, hotline, django_capture_on_commit_callbacks):
    customer = CustomerFactory(display_name="王小明")
    ChannelIdentity.objects.create(customer=customer, channel=Channel.SMS, external_id="13912345678")
    received = receive(
        django_capture_on_commit_callbacks,
        channel=Channel.CHAT,
        customer=customer,
        body=ANGRY,
        external_id="m-1",
    )
    conversation = received.message.conversation
    conversation.team = hotline
    conversation.save(update_fields=["team"])
    return conversation


def test_personal_data_is_masked_on_the_desk_by_default(angry_conversation, agent, client_for):
    page = client_for(agent).get(reverse("desk:detail", args=[angry_conversation.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "13812345678" not in html
    assert "138****5678" in html
    assert "13912345678" not in html  # identities in the customer panel too
    assert 'data-testid="reveal"' in html


def test_revealing_personal_data_is_a_post_written_to_the_audit_log(angry_conversation, agent, client_for):
    client = client_for(agent)
    message = angry_conversation.messages.get()
    url = reverse("desk:reveal", args=[message.pk])
    assert client.get(url).status_code == 405  # never by merely following a link
    response = client.post(url)
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    entry = AuditEntry.objects.get(action="message.reveal_personal_data")
    assert entry.actor == agent
    assert entry.object_id == str(message.pk)
    assert entry.detail["kinds"] == ["phone"]


def test_an_agent_of_another_team_cannot_reveal_and_nothing_is_logged(
    angry_conversation, other_agent, client_for
):
    message = angry_conversation.messages.get()
    response = client_for(other_agent).post(reverse("desk:reveal", args=[message.pk]))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="message.reveal_personal_data").exists()


def test_every_badge_comes_with_its_reasons(angry_conversation, agent, client_for):
    html = client_for(agent).get(reverse("desk:detail", args=[angry_conversation.pk])).content.decode()
    assert 'data-why-key="sentiment"' in html
    assert "为什么？" in html and "负面" in html  # Chinese by default
    assert 'data-why-key="escalation"' in html
    assert 'data-why-key="urgency"' in html
    assert "<q>12315</q>" in html  # the cue behind the escalation badge
    assert "<q>气死我了</q>" in html
    assert re.search(r'data-why="[^"]*escalation', html)  # the cue is marked in the text for highlighting


def test_conversation_page_offers_a_soothing_draft(angry_conversation, agent, client_for):
    response = client_for(agent).get(reverse("desk:draft", args=[angry_conversation.pk]))
    draft = response.json()
    assert "抱歉" in draft["text"]
    assert "DD20240101123456" in draft["text"]
    assert draft["reasons"]


def test_public_weibo_draft_keeps_personal_data_out(
    db, agent, client_for, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(display_name="王小明")
    received = receive(
        django_capture_on_commit_callbacks,
        channel=Channel.WEIBO,
        customer=customer,
        body="@大白客服 " + ANGRY,
        external_id="w-1",
        is_public=True,
    )
    text = (
        client_for(agent).get(reverse("desk:draft", args=[received.message.conversation_id])).json()["text"]
    )
    assert "私信" in text
    for secret in ("13812345678", "王小明", "DD20240101123456"):
        assert secret not in text


def test_elderly_tag_makes_the_draft_plain(angry_conversation, agent, client_for):
    angry_conversation.customer.tags.add(CustomerTag.objects.create(name="老年客户"))
    text = client_for(agent).get(reverse("desk:draft", args=[angry_conversation.pk])).json()["text"]
    assert "打电话" in text


def test_mood_trend_shows_the_customer_calming_down(
    angry_conversation, agent, client_for, django_capture_on_commit_callbacks
):
    receive(
        django_capture_on_commit_callbacks,
        channel=Channel.CHAT,
        customer=angry_conversation.customer,
        body="好的，谢谢你们，很满意",
        external_id="m-2",
    )
    html = client_for(agent).get(reverse("desk:detail", args=[angry_conversation.pk])).content.decode()
    trend = html.split('data-testid="mood-trend"')[0].rsplit("<span", 1)[1]
    assert "improving" in trend


def test_macro_search_fills_customer_order_and_agent(angry_conversation, agent, client_for, hotline):
    Macro.objects.create(title="物流催单", body="{customer_name}您好，订单{order_number}已加急，{agent_name}")
    Macro.objects.create(title="热线专用", body="热线", team=hotline)
    Macro.objects.create(title="别人的", body="私人", owner=UserFactory())
    response = client_for(agent).get(
        reverse("replies:macro-search"), {"q": "", "conversation": angry_conversation.pk}
    )
    results = {r["title"]: r["text"] for r in response.json()["results"]}
    # The gender is unknown: 您好 alone, never the full name (with it known: 王先生您好).
    assert results["物流催单"] == f"您好，订单DD20240101123456已加急，{agent}"
    assert "热线专用" in results
    assert "别人的" not in results


def test_macro_search_matches_title_or_text(db, agent, client_for):
    Macro.objects.create(title="花呗退款", body="退款将原路退回")
    Macro.objects.create(title="问候", body="花呗分期也可以")
    Macro.objects.create(title="无关", body="您好")
    client = client_for(agent)
    by_title = client.get(reverse("replies:macro-search"), {"q": "花呗退"}).json()["results"]
    by_text = client.get(reverse("replies:macro-search"), {"q": "花呗"}).json()["results"]
    assert [r["title"] for r in by_title] == ["花呗退款"]
    assert {r["title"] for r in by_text} == {"花呗退款", "问候"}


def test_a_new_centre_starts_with_a_few_canned_replies(db, agent, client_for):
    from django.apps import apps

    starters = importlib.import_module("dabai.replies.migrations.0002_starter_macros")
    starters.add_starters(apps, None)  # what the migration did (an earlier flushing test may have wiped it)
    starters.add_starters(apps, None)  # and running it again adds nothing twice
    assert Macro.objects.filter(title="转私信").count() == 1
    titles = [r["title"] for r in client_for(agent).get(reverse("replies:macro-search")).json()["results"]]
    assert "转私信" in titles and "物流催单" in titles


def test_agent_saves_a_personal_macro_but_not_a_centre_wide_one(db, agent, client_for):
    client = client_for(agent)
    response = client.post(
        reverse("replies:macros"), {"title": "我的", "body": "您好{customer_name}", "scope": "personal"}
    )
    assert response.status_code == 302
    assert Macro.objects.get(title="我的").owner == agent
    page = client.get(reverse("replies:macros")).content.decode()
    assert "我的" in page and "快捷回复" in page
    client.post(reverse("replies:macros"), {"title": "全中心", "body": "x", "scope": "centre"})
    assert not Macro.objects.filter(title="全中心").exists()


def test_supervisor_shares_a_team_macro_and_it_is_audited(db, supervisor, hotline, client_for):
    client_for(supervisor).post(
        reverse("replies:macros"), {"title": "热线开场", "body": "您好", "scope": "team", "team": hotline.pk}
    )
    macro = Macro.objects.get(title="热线开场")
    assert macro.team == hotline and macro.owner is None
    assert AuditEntry.objects.filter(action="macro.create", object_id=str(macro.pk)).exists()


def test_agent_cannot_delete_a_team_macro(db, agent, hotline, client_for):
    macro = Macro.objects.create(title="热线开场", body="您好", team=hotline)
    assert client_for(agent).post(reverse("replies:macro-delete", args=[macro.pk])).status_code == 403
    assert Macro.objects.filter(pk=macro.pk).exists()


def test_mention_in_a_note_notifies_the_colleague_who_can_see_it(
    angry_conversation, agent, supervisor, other_agent, client_for
):
    supervisor.display_name = "陈班长"
    supervisor.save()
    client_for(agent).post(
        reverse("desk:send", args=[angry_conversation.pk]),
        {"kind": "note", "body": f"@陈班长 客户提到12315，请关注。@{other_agent.username} 也看看"},
    )
    note = angry_conversation.messages.get(direction=Direction.NOTE)
    assert [m.user for m in Mention.objects.filter(note=note)] == [supervisor]  # other team: not notified
    mentions_page = client_for(supervisor).get(reverse("replies:mentions")).content.decode()
    assert f"#{angry_conversation.pk}" in mentions_page
    detail = client_for(supervisor).get(reverse("desk:detail", args=[angry_conversation.pk]))
    read_url = reverse("desk:mentions-read", args=[angry_conversation.pk])
    assert read_url in detail.content.decode()  # the page reads its mentions as it loads
    client_for(supervisor).post(read_url)
    assert Mention.objects.get(note=note).read_at is not None


def test_a_reply_to_the_customer_never_creates_mentions(angry_conversation, agent, supervisor, client_for):
    client_for(agent).post(
        reverse("desk:send", args=[angry_conversation.pk]),
        {"kind": "reply", "body": "@supervisor 您好"},
    )
    assert not Mention.objects.exists()


def test_mentioning_the_same_colleague_twice_notifies_once(angry_conversation, agent, supervisor):
    note = MessageFactory(
        conversation=angry_conversation,
        direction=Direction.NOTE,
        author=agent,
        body="@supervisor @supervisor",
    )
    assert Mention.objects.filter(note=note, user=supervisor).count() == 1  # any stored note is read for @s
    assert services.record_mentions(note, agent) == []


def test_customer_panel_shows_history_and_open_follow_ups(angry_conversation, agent, client_for):
    customer = angry_conversation.customer
    old = ConversationFactory(customer=customer, channel=Channel.PHONE, status=Status.RESOLVED)
    thanks = MessageFactory(conversation=old, body="谢谢，问题解决了")
    Insight.objects.create(message=thanks, sentiment="positive", urgency="low", model_version="test")
    pending = ConversationFactory(customer=customer, channel=Channel.EMAIL, status=Status.PENDING)
    html = client_for(agent).get(reverse("desk:detail", args=[angry_conversation.pk])).content.decode()
    follow_ups = html.split('data-testid="follow-ups"')[1].split("</ul>")[0]
    previous = html.split('data-testid="previous-conversations"')[1].split("</ul>")[0]
    assert f"#{pending.pk}" in follow_ups
    assert f"#{old.pk}" in previous
    assert "正面" in previous  # the outcome: the customer left happy
    assert "139****5678" in html


def test_next_conversation_shortcut_walks_the_active_inbox(db, agent, client_for, hotline):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    newest = ConversationFactory(team=hotline, last_message_at=now)
    middle = ConversationFactory(team=hotline, last_message_at=now - timedelta(minutes=5))
    ConversationFactory(team=hotline, last_message_at=now - timedelta(minutes=3), status=Status.RESOLVED)
    client = client_for(agent)
    response = client.get(reverse("desk:next", args=[newest.pk]))
    assert response.url == reverse("desk:detail", args=[middle.pk])
    response = client.get(reverse("desk:next", args=[middle.pk]))
    assert response.url == reverse("desk:detail", args=[newest.pk])  # wraps around


def test_department_members_never_reach_the_desk_endpoints(angry_conversation, department_member, client_for):
    client = client_for(department_member)
    message = angry_conversation.messages.get()
    assert client.get(reverse("replies:macro-search")).status_code == 403
    assert client.post(reverse("desk:reveal", args=[message.pk])).status_code == 403
    assert client.get(reverse("desk:draft", args=[angry_conversation.pk])).status_code == 403


def test_desk_roles_only(db):
    assert Role.DEPARTMENT not in services.DESK_ROLES


def test_draft_points_to_the_knowledge_base_article_that_answers_the_question(
    db, agent, client_for, django_capture_on_commit_callbacks
):
    from dabai.knowledge.models import ArticleStatus
    from dabai.knowledge.services import save_article

    save_article(
        actor=None,
        title="如何修改收货地址",
        summary="订单发货前可以在订单详情页修改收货地址。",
        body="打开订单详情，点击修改收货地址，发货前都可以修改。",
        status=ArticleStatus.PUBLISHED,
    )
    received = receive(
        django_capture_on_commit_callbacks,
        channel=Channel.CHAT,
        customer=CustomerFactory(),
        body="请问怎么修改收货地址？",
        external_id="kb-1",
    )
    text = (
        client_for(agent).get(reverse("desk:draft", args=[received.message.conversation_id])).json()["text"]
    )
    assert "如何修改收货地址" in text
    assert "【请补充答复】" not in text


def test_an_email_subject_with_a_phone_number_is_masked_in_the_header(db, agent, client_for, hotline):
    conversation = ConversationFactory(team=hotline, channel=Channel.EMAIL, subject="请回电13812345678")
    html = client_for(agent).get(reverse("desk:detail", args=[conversation.pk])).content.decode()
    assert "13812345678" not in html
    assert "请回电138****5678" in html


def test_a_public_reply_with_personal_data_is_refused_and_kept_for_editing(db, agent, client_for, hotline):
    conversation = ConversationFactory(team=hotline, channel=Channel.WEIBO, is_public=True)
    client = client_for(agent)
    url = reverse("desk:send", args=[conversation.pk])
    leaking = {"kind": "reply", "body": "请拨打13812345678联系我们"}
    response = client.post(url, leaking, HTTP_HX_REQUEST="true")
    assert not conversation.messages.exists()
    assert "请拨打13812345678联系我们" in response.content.decode()  # nothing the agent wrote is lost
    client.post(url, {"kind": "reply", "body": "已私信您，请查看私信"}, HTTP_HX_REQUEST="true")
    client.post(url, {"kind": "note", "body": "客户电话13812345678"}, HTTP_HX_REQUEST="true")
    assert conversation.messages.count() == 2  # a clean public reply and an internal note go through


def test_reasons_show_words_never_internal_feature_names(db):
    from dabai.desk.selectors import desk_thread

    message = MessageFactory(body="这个价格太离谱了")
    analysis = {
        "sentiment": {"label": "negative", "score": 0.9},
        "why": {
            "sentiment": [
                {"text": "离谱", "start": 5, "end": 7, "source": "model"},
                {"feature": "w:价格", "source": "model"},
                {"feature": "k:emo_anger", "source": "model"},
            ]
        },
    }
    Insight.objects.create(message=message, sentiment="negative", urgency="normal", analysis=analysis)
    message.refresh_from_db()
    badge = next(b for b in desk_thread([message])[0].badges if b.key == "sentiment")
    assert badge.reasons == ["离谱", "价格"]
