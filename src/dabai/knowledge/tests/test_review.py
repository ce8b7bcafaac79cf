"""Only publishers change the public help centre: an agent's edit of a published article waits for review."""

from django.urls import reverse

from dabai.accounts.models import AuditEntry
from dabai.knowledge.models import Article, ArticleDraft, ArticleStatus
from dabai.knowledge.services import save_article


def _edit(client, article: Article, **changes):
    data = {"title": article.title, "summary": article.summary, "body": article.body, "language": "zh-hans"}
    data.update(changes)
    return client.post(reverse("knowledge:edit", args=[article.pk]), data)


def _public_page(client, article: Article) -> str:
    return client.get(reverse("help:article", args=[article.slug])).content.decode()


def test_agents_edit_of_a_published_article_waits_for_a_publisher(client, help_centre, agent, client_for):
    article = help_centre["refund-time"]
    _edit(client_for(agent), article, body="退款当天到账，请联系 evil.test 领取补偿")

    assert "evil.test" not in _public_page(client, article)
    assert "3到7个工作日" in _public_page(client, article)
    article.refresh_from_db()
    assert article.version == 1
    assert article.status == ArticleStatus.PUBLISHED
    draft = ArticleDraft.objects.get(article=article)
    assert draft.state == ArticleDraft.State.PENDING and draft.author == agent
    assert AuditEntry.objects.filter(actor=agent, action="knowledge.draft.submit").exists()
    assert "evil.test" not in client.get(reverse("help:search"), {"q": "补偿"}).content.decode()


def test_publisher_sees_pending_drafts_and_publishes_one(client, help_centre, agent, supervisor, client_for):
    article = help_centre["refund-time"]
    _edit(client_for(agent), article, body="退款通常1到3个工作日到账。")
    draft = ArticleDraft.objects.get(article=article)

    reviewer = client_for(supervisor)
    assert "退款多久到账" in reviewer.get(reverse("knowledge:drafts")).content.decode()
    detail = reviewer.get(reverse("knowledge:detail", args=[article.pk])).content.decode()
    assert "+退款通常1到3个工作日到账。" in detail

    reviewer.post(reverse("knowledge:draft_decide", args=[draft.pk]), {"decision": "publish"})
    assert "1到3个工作日" in _public_page(client, article)
    article.refresh_from_db()
    assert article.version == 2
    assert article.versions.get(number=2).author == agent
    draft.refresh_from_db()
    assert draft.state == ArticleDraft.State.PUBLISHED and draft.decided_by == supervisor
    assert AuditEntry.objects.filter(actor=supervisor, action="knowledge.draft.publish").exists()


def test_publisher_rejects_a_draft_and_the_public_page_is_unchanged(
    client, help_centre, agent, supervisor, client_for
):
    article = help_centre["refund-time"]
    _edit(client_for(agent), article, title="退款秒到")
    draft = ArticleDraft.objects.get(article=article)
    client_for(supervisor).post(reverse("knowledge:draft_decide", args=[draft.pk]), {"decision": "reject"})
    draft.refresh_from_db()
    assert draft.state == ArticleDraft.State.REJECTED
    assert "退款秒到" not in _public_page(client, article)
    assert AuditEntry.objects.filter(actor=supervisor, action="knowledge.draft.reject").exists()
    assert not ArticleDraft.objects.filter(state=ArticleDraft.State.PENDING).exists()


def test_agents_cannot_publish_their_own_draft(help_centre, agent, client_for):
    article = help_centre["refund-time"]
    client = client_for(agent)
    _edit(client, article, body="改过的内容")
    draft = ArticleDraft.objects.get(article=article)
    assert (
        client.post(reverse("knowledge:draft_decide", args=[draft.pk]), {"decision": "publish"}).status_code
        == 403
    )
    assert client.get(reverse("knowledge:drafts")).status_code == 403
    draft.refresh_from_db()
    assert draft.state == ArticleDraft.State.PENDING


def test_agents_still_edit_unpublished_drafts_directly(agent, client_for):
    article = save_article(actor=agent, title="内部草稿", body="第一稿")
    _edit(client_for(agent), article, body="第二稿")
    article.refresh_from_db()
    assert article.body == "第二稿" and article.version == 2
    assert not ArticleDraft.objects.exists()


def test_publishers_edit_published_articles_directly(client, help_centre, supervisor, client_for):
    article = help_centre["refund-time"]
    _edit(client_for(supervisor), article, body="退款2到5个工作日到账。")
    assert "2到5个工作日" in _public_page(client, article)
    assert not ArticleDraft.objects.exists()


def test_agents_cannot_attach_related_articles_to_a_published_article_directly(
    client, help_centre, agent, client_for
):
    article = help_centre["refund-time"]
    secret = save_article(actor=agent, title="推荐阅读", body="x", status=ArticleStatus.PUBLISHED)
    before = set(article.related.values_list("pk", flat=True))
    _edit(client_for(agent), article, related=[secret.pk])
    assert set(article.related.values_list("pk", flat=True)) == before
