"""The help centre has no dead ends (issue 15): every page offers "提交请求" and "在线咨询", an empty search
says a person will help, and "没帮助" asks what was missing and keeps the answer with that feedback."""

import re

import pytest
from django.urls import reverse

from dabai.knowledge.models import Feedback


def _ctas(html: str) -> tuple[int, int]:
    requests = html.count(f'href="{reverse("portal:new")}"')
    chats = len(re.findall(r"data-dabai-chat-open", html))
    return requests, chats


def test_article_offers_a_request_and_a_chat_in_the_header_and_under_the_article(help_centre, client):
    html = client.get(reverse("help:article", kwargs={"slug": "refund-time"})).content.decode()
    assert _ctas(html) == (2, 2)
    assert "提交请求" in html and "在线咨询" in html
    assert reverse("channels:widget_js") in html, "在线咨询 opens the chat widget on the page"


@pytest.mark.parametrize("query", ["火星移民签证", "zzzzqqq"])
def test_an_empty_search_is_no_dead_end(help_centre, client, query):
    html = client.get(reverse("help:search"), {"q": query}).content.decode()
    assert 'data-testid="help-no-results"' in html
    assert "没找到答案？人工客服来帮您。" in html
    assert _ctas(html) == (2, 2)


def test_not_helpful_asks_what_was_missing_and_keeps_it_with_the_same_feedback(help_centre, client):
    url = reverse("help:feedback", kwargs={"slug": "refund-time"})
    response = client.post(url, {"helpful": "no"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "缺少什么" in html or "哪里没说清楚" in html
    assert _ctas(html) == (1, 1), "and offers a request or a chat"
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    missing = reverse("help:feedback_comment", kwargs={"slug": "refund-time"})
    response = client.post(
        missing, {"token": token, "comment": "我是银行转账付款的，  文章没说"}, headers={"HX-Request": "true"}
    )
    assert 'data-testid="feedback-thanks"' in response.content.decode()
    [given] = Feedback.objects.all()
    assert (given.helpful, given.comment) == (False, "我是银行转账付款的， 文章没说")
    help_centre["refund-time"].refresh_from_db()
    assert help_centre["refund-time"].not_helpful_count == 1, "the comment adds no second vote"


def test_the_comment_form_cannot_be_forged_or_reused(help_centre, client):
    client.post(reverse("help:feedback", kwargs={"slug": "refund-time"}), {"helpful": "no"})
    given = Feedback.objects.get()
    missing = reverse("help:feedback_comment", kwargs={"slug": "refund-time"})
    assert client.post(missing, {"token": "forged", "comment": "x"}).status_code == 400
    from django.core import signing

    token = signing.dumps(given.pk, salt="dabai.help.feedback")
    client.post(missing, {"token": token, "comment": "第一次"})
    assert client.post(missing, {"token": token, "comment": "改掉"}).status_code == 404
    other = reverse("help:feedback_comment", kwargs={"slug": "invoice"})
    assert client.post(other, {"token": token, "comment": "x"}).status_code == 404
    given.refresh_from_db()
    assert given.comment == "第一次"


def test_helpful_says_thanks_without_asking(help_centre, client):
    url = reverse("help:feedback", kwargs={"slug": "refund-time"})
    html = client.post(url, {"helpful": "yes"}, headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="feedback-thanks"' in html and 'name="token"' not in html
