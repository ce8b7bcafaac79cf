"""A public outcry reaches the portal within the hour: listening's burst alerts appear among the emerging
issues on the front page, open to their masked posts (and the cases they opened), and go into the weekly
digest of the departments that follow the topic, not of the others."""

from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from dabai.accounts.models import Role
from dabai.insights import digest, services, topics
from dabai.insights.models import Case
from dabai.listening import services as listening
from dabai.listening.models import BurstAlert, Mention, WatchKind, Watchlist, WatchTerm
from dabai.listening.sources import Post
from dabai.testing import DepartmentFactory, UserFactory


def _outcry(settings, n: int = 8) -> BurstAlert:
    """*n* Weibo posts about a broadband outage within the hour, after a quiet week: one burst alert."""
    settings.DABAI_LISTENING_BURST_MIN = 5
    phrases = Watchlist.objects.create(name="投诉用语", kind=WatchKind.COMPLAINT)
    WatchTerm.objects.create(watchlist=phrases, term="宽带断网", synonyms="断网,掉线")
    now = timezone.now()
    posts = [
        Post(
            key=f"weibo:outcry{i}",
            origin="weibo",
            text=f"宽带断网一整天了，太差了！@路人乙 也断了，我电话13812345678，我是张伟{i}",
            published_at=now - timedelta(minutes=3 * i),
            author_id=f"50{i}",
            author_name=f"张伟{i}",
            author_followers=1000 * i,
        )
        for i in range(n)
    ]
    listening.ingest(posts, now=now)
    services.rebuild_case_index()
    return BurstAlert.objects.get(topic="宽带断网")


def test_a_burst_shows_among_the_emerging_issues_and_opens_its_masked_posts(
    db, settings, department_member, client_for
):
    alert = _outcry(settings)
    client = client_for(department_member)
    front = client.get(reverse("insights:front")).content.decode()
    assert 'data-testid="burst-alert"' in front
    assert "微博：宽带断网 1 小时内 8 条提及" in front  # usually almost none: no ratio to speak of
    assert reverse("insights:burst", args=[alert.pk]) in front
    page = client.get(reverse("insights:burst", args=[alert.pk])).content.decode()
    assert page.count('data-testid="burst-post"') == 8
    for secret in ("13812345678", "张伟", "路人乙"):
        assert secret not in page
    started = Mention.objects.exclude(conversation=None).values("conversation_id")
    opened = list(Case.objects.filter(pk__in=started).values_list("pk", flat=True))
    assert opened, list(Mention.objects.values_list("sentiment", "conversation_id"))
    assert all(reverse("insights:case", args=[pk]) in page for pk in opened)


def test_the_ratio_to_the_usual_hour_is_stated(db, settings, department_member, client_for):
    alert = _outcry(settings)
    BurstAlert.objects.filter(pk=alert.pk).update(usual=0.5)
    front = client_for(department_member).get(reverse("insights:front")).content.decode()
    assert "微博：宽带断网 1 小时内 8 条提及，为平常的 16.0 倍" in front


def test_a_burst_goes_to_the_digest_of_departments_following_its_topic_only(db, settings, supervisor):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    product = DepartmentFactory(slug="product", name="产品部")
    finance = DepartmentFactory(slug="finance", name="财务部")
    UserFactory(username="pm", role=Role.DEPARTMENT, department=product, email="pm@example.cn")
    UserFactory(username="cw", role=Role.DEPARTMENT, department=finance, email="cw@example.cn")
    alert = _outcry(settings)
    outage = topics.define_topic(supervisor, "网络故障", keywords="断网, 掉线")
    refunds = topics.define_topic(supervisor, "退款到账慢", keywords="退款没到账")
    services.follow_topic(UserFactory(username="pm-lead", role=Role.DEPARTMENT, department=product), outage)
    services.follow_topic(UserFactory(username="cw-lead", role=Role.DEPARTMENT, department=finance), refunds)
    assert digest.send_weekly_digests() == 2
    to_product = next(m for m in mail.outbox if "pm@example.cn" in m.to)
    to_finance = next(m for m in mail.outbox if "cw@example.cn" in m.to)
    link = reverse("insights:burst", args=[alert.pk])
    assert "宽带断网 1 小时内 8 条提及" in to_product.body and link in to_product.body
    assert "宽带断网 1 小时内 8 条提及" in to_product.alternatives[0][0]
    assert "宽带断网" not in to_finance.body and link not in to_finance.body
    for secret in ("13812345678", "张伟"):
        assert secret not in to_product.body


def test_agents_and_customers_cannot_open_a_burst(db, settings, agent, customer_user, client_for):
    alert = _outcry(settings)
    for user in (agent, customer_user):
        assert client_for(user).get(reverse("insights:burst", args=[alert.pk])).status_code == 403
    assert client_for(agent).get(reverse("insights:burst", args=[alert.pk + 99])).status_code == 403
