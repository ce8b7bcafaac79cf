"""Departments follow topics and get one weekly digest in Chinese; editors write centre news that everyone on
the portal reads (each reader counted once); only editors curate."""

from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from dabai.accounts.models import AuditEntry, Role
from dabai.insights import digest, emerging, topics
from dabai.insights.models import DigestSent, NewsItem, NewsRead, Topic, TopicFollow
from dabai.insights.tests.history import history
from dabai.insights.tests.test_emerging import burst, steady_history
from dabai.testing import DepartmentFactory, UserFactory


def test_a_department_member_follows_and_unfollows_a_topic(db, supervisor, department_member, client_for):
    topic = topics.define_topic(supervisor, "宽带断网", keywords="断网")
    client = client_for(department_member)
    url = reverse("insights:topic_follow", args=[topic.pk])
    assert client.post(url, {"follow": "1"}).status_code == 302
    client.post(url, {"follow": "1"})  # twice is once
    follow = TopicFollow.objects.get()
    assert follow.department == department_member.department and follow.followed_by == department_member
    page = client.get(reverse("insights:front")).content.decode()
    assert "宽带断网" in page.split('data-testid="followed-topics"')[1]
    assert 'data-testid="unfollow"' in client.get(reverse("insights:topic", args=[topic.pk])).content.decode()
    client.post(url, {"follow": "0"})
    assert not TopicFollow.objects.exists()
    assert AuditEntry.objects.filter(action__in=["topic.follow", "topic.unfollow"]).count() == 2
    # a supervisor belongs to no department: nothing to follow for
    client_for(supervisor).post(url, {"follow": "1"})
    assert not TopicFollow.objects.exists()


def test_the_weekly_digest_goes_once_per_department_in_chinese_with_masked_quotes(db, supervisor, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    product = DepartmentFactory(slug="product", name="产品部")
    finance = DepartmentFactory(slug="finance", name="财务部")
    UserFactory(username="pm", role=Role.DEPARTMENT, department=product, email="pm@example.cn")
    UserFactory(username="pm2", role=Role.DEPARTMENT, department=product, email="pm2@example.cn")
    UserFactory(username="cw", role=Role.DEPARTMENT, department=finance, email="cw@example.cn")
    rows = steady_history(weeks=9) + burst(12)
    rows += [(1, "chat", "App更新后闪退，我叫王小明，电话13812345678，邮箱wang.xm@example.cn", "王小明")]
    history(rows)
    crash = topics.define_topic(supervisor, "App 闪退", keywords="闪退, 崩溃")
    topics.match_topic_history(crash)
    emerging.compute_emerging()
    TopicFollow.objects.create(department=product, topic=crash)
    assert digest.send_weekly_digests() == 1  # finance follows nothing: no digest
    assert digest.send_weekly_digests() == 0  # once per department per week
    (message,) = mail.outbox
    assert sorted(message.to) == ["pm2@example.cn", "pm@example.cn"]
    assert "用户之声" in message.subject and "产品部" in message.subject
    body = message.body
    assert "App 闪退" in body and "闪退" in body
    assert body.count("「") == 3  # three masked quotes
    html = message.alternatives[0][0]
    for secret in ("13812345678", "wang.xm@example.cn", "王小明"):
        assert secret not in body and secret not in html
    assert f"/voc/topics/{crash.pk}/" in body and "/voc/cases/" in body
    assert DigestSent.objects.get().recipients == 2
    # next week it goes again
    assert digest.send_weekly_digests(timezone.now() + timedelta(days=7)) == 1


def test_editors_write_news_everyone_reads_it_and_each_reader_counts_once(
    db, supervisor, department_member, agent, client_for
):
    editor = client_for(supervisor)
    response = editor.post(
        reverse("insights:news_new"),
        {
            "title": "宽带资费调整",
            "body": "下月起宽带资费调整，预计咨询量上升。联系人 13812345678",
            "pinned": "1",
        },
    )
    item = NewsItem.objects.get()
    assert response.status_code == 302 and item.is_pinned and "13812345678" not in item.body
    assert editor.post(reverse("insights:news_new"), {"title": "", "body": ""}).status_code == 200
    assert NewsItem.objects.count() == 1  # bad input: a clear error, nothing saved
    member = client_for(department_member)
    assert "宽带资费调整" in member.get(reverse("insights:front")).content.decode()
    for _ in range(3):
        page = member.get(reverse("insights:news_item", args=[item.pk])).content.decode()
    editor.get(reverse("insights:news_item", args=[item.pk]))
    assert NewsRead.objects.filter(news=item).count() == 2
    assert "2" in page.split('data-testid="read-count"')[1][:40] or NewsRead.objects.count() == 2
    assert member.post(reverse("insights:news_new"), {"title": "x", "body": "y"}).status_code == 403
    assert member.post(reverse("insights:news_delete", args=[item.pk])).status_code == 403
    assert client_for(agent).get(reverse("insights:news_item", args=[item.pk])).status_code in (302, 403)
    editor.post(
        reverse("insights:news_edit", args=[item.pk]), {"title": "宽带资费调整（更新）", "body": "详见公告"}
    )
    item.refresh_from_db()
    assert item.title == "宽带资费调整（更新）" and not item.is_pinned
    assert AuditEntry.objects.filter(action__in=["news.publish", "news.edit"]).count() == 2


def test_editors_define_rename_merge_and_promote_topics_in_the_portal(
    db, supervisor, department_member, client_for
):
    history([(1, "chat", "路由器一直掉线"), (2, "chat", "宽带断网了")])
    editor = client_for(supervisor)
    response = editor.post(reverse("insights:topic_new"), {"name": "断网", "keywords": "断网, 掉线"})
    topic = Topic.objects.get(name="断网")
    assert response["Location"] == reverse("insights:topic", args=[topic.pk])
    topics.match_topic_history(topic)  # the task the page enqueued
    page = client_for(department_member).get(reverse("insights:topic", args=[topic.pk])).content.decode()
    assert "路由器一直掉线" in page and 'data-testid="topic-edit"' not in page
    assert editor.post(reverse("insights:topic_new"), {"name": "空", "keywords": ""}).status_code == 200
    assert not Topic.objects.filter(name="空").exists()
    editor.post(
        reverse("insights:topic_edit", args=[topic.pk]),
        {"name": "宽带断网", "keywords": "断网", "examples": ""},
    )
    topic.refresh_from_db()
    assert topic.name == "宽带断网" and topic.keywords == "断网"
    member = client_for(department_member)
    assert member.post(reverse("insights:topic_edit", args=[topic.pk]), {"name": "x"}).status_code == 403
    assert member.get(reverse("insights:topic_new")).status_code == 403
    assert member.post(reverse("insights:topics_refresh")).status_code == 403
    listing = member.get(reverse("insights:topics")).content.decode()
    assert "宽带断网" in listing and f'data-testid="follow-{topic.pk}"' in listing
