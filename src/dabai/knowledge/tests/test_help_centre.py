"""The public help centre: no login, published articles only, search with snippets and feedback."""

from django.urls import reverse

from dabai.knowledge.models import ArticleStatus, SearchLog
from dabai.knowledge.services import save_article


def test_anyone_can_browse_categories_and_read_articles(client, help_centre):
    home = client.get(reverse("help:home"))
    assert home.status_code == 200
    assert "退款与售后" in home.content.decode()
    page = client.get(reverse("help:article", args=["refund-time"]))
    assert page.status_code == 200
    assert "3到7个工作日" in page.content.decode()


def test_drafts_are_not_in_the_help_centre(client, help_centre):
    draft = save_article(actor=None, title="内部草稿：新政策", body="尚未发布", status=ArticleStatus.DRAFT)
    assert client.get(reverse("help:article", args=[draft.slug])).status_code == 404
    assert "内部草稿" not in client.get(reverse("help:search"), {"q": "新政策"}).content.decode()


def test_search_shows_highlighted_snippets_and_is_logged(client, help_centre):
    response = client.get(reverse("help:search"), {"q": "退款多久到账"})
    html = response.content.decode()
    assert "<mark>退款</mark>" in html
    assert html.index("/help/a/refund-time/") < html.index("/help/a/apply-refund/")
    assert SearchLog.objects.filter(source="help", query="退款多久到账", is_gap=False).exists()


def test_suggestions_while_typing(client, help_centre):
    response = client.get(reverse("help:suggest"), {"q": "密碼"})
    assert "/help/a/reset-password/" in response.content.decode()


def test_search_without_an_answer_is_a_content_gap(client, help_centre):
    client.get(reverse("help:search"), {"q": "可以用数字人民币付款吗"})
    assert SearchLog.objects.get(source="help").is_gap


def test_was_this_helpful_is_counted(client, help_centre):
    article = help_centre["invoice"]
    client.post(reverse("help:feedback", args=[article.slug]), {"helpful": "yes"})
    client.post(reverse("help:feedback", args=[article.slug]), {"helpful": "no"})
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (1, 1)


def test_english_readers_see_english_articles(client, help_centre):
    client.cookies["django_language"] = "en"
    html = client.get(reverse("help:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How long does a refund take?" in html
    assert "/help/a/refund-time/" not in html


def test_short_link_opens_the_article(client, help_centre):
    article = help_centre["invoice"]
    response = client.get(reverse("help:short", args=[_b36(article.pk)]))
    assert response.status_code == 302
    assert response["Location"] == reverse("help:article", args=[article.slug])


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def test_category_page_lists_its_published_articles(client, help_centre):
    html = client.get(reverse("help:category", args=["account"])).content.decode()
    assert "忘记密码怎么重置" in html
    assert "/help/a/refund-time/" not in html
