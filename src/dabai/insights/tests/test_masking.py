"""No page, chart, export, share link, social-media rise or digest of the portal shows a department member an
unmasked phone number, ID number, bank card, e-mail address or customer name."""

import re
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from dabai.insights import digest, emerging, services, topics
from dabai.insights.dashboards import CHARTS
from dabai.insights.models import CaseShare, NewsItem, Topic, TopicFollow
from dabai.insights.tests.history import history
from dabai.listening import services as listening
from dabai.listening.models import BurstAlert, WatchKind, Watchlist, WatchTerm
from dabai.listening.sources import Post

SECRETS = {
    "phone": "13812345678",
    "id": "110101199003074514",
    "card": "6222021234567890128",
    "email": "li.si@example.cn",
    "name": "欧阳娜娜",
}
TEXT = (
    "我是欧阳娜娜，App更新后一直闪退，电话13812345678，身份证110101199003074514，"
    "退款请打到卡6222021234567890128，邮箱li.si@example.cn，欧阳娜娜急用"
)


def _leaks(content: str) -> list[str]:
    return [kind for kind, value in SECRETS.items() if value in content]


def _public_outcry(settings) -> BurstAlert:
    """The same words posted publicly by the customer six times within the hour: a burst alert."""
    settings.DABAI_LISTENING_BURST_MIN = 5
    watched = Watchlist.objects.create(name="投诉用语", kind=WatchKind.COMPLAINT)
    WatchTerm.objects.create(watchlist=watched, term="闪退")
    now = timezone.now()
    posts = [
        Post(
            key=f"weibo:leak{i}",
            origin="weibo",
            text=TEXT,
            published_at=now - timedelta(minutes=i),
            author_id="7001",
            author_name=SECRETS["name"],
        )
        for i in range(6)
    ]
    listening.ingest(posts, now=now)
    return BurstAlert.objects.get(topic="闪退")


def test_no_portal_page_chart_export_link_or_digest_leaks_personal_data(
    db, supervisor, department_member, client_for, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    department_member.email = "pm@example.cn"
    department_member.save()
    rows = [(d % 6, "chat", TEXT, "欧阳娜娜") for d in range(12)]
    rows += [(d, "phone", "快递三天还没到，订单一直显示运输中", f"客户{d}") for d in range(10, 40)]
    conversations = history(rows)
    crash = topics.define_topic(supervisor, "App 闪退", keywords="闪退")
    topics.match_topic_history(crash)
    topics.discover_topics()
    emerging.compute_emerging()
    services.publish_news(
        supervisor, "App 闪退通知", f"已知问题，联系 {SECRETS['phone']} 或 {SECRETS['email']}"
    )
    TopicFollow.objects.create(department=department_member.department, topic=crash)
    share = services.share_case(supervisor, conversations[0], note=f"看看 {SECRETS['name']} 的案例")
    alert = _public_outcry(settings)
    client = client_for(department_member)
    urls = [
        reverse("insights:front"),
        reverse("insights:cases"),
        reverse("insights:cases") + "?q=闪退",
        reverse("insights:export"),
        reverse("insights:export") + "?q=闪退",
        reverse("insights:case", args=[conversations[0].pk]),
        reverse("insights:shared", args=[share.token]),
        reverse("insights:dashboards"),
        reverse("insights:topics"),
        reverse("insights:news"),
        *(reverse("insights:news_item", args=[n]) for n in NewsItem.objects.values_list("pk", flat=True)),
        *(reverse(f"insights:chart_{c}") for c in CHARTS),
        *(reverse(f"insights:chart_{c}") + f"?topic={crash.pk}" for c in CHARTS),
        *(reverse("insights:topic", args=[t.pk]) for t in Topic.objects.all()),
        reverse("insights:burst", args=[alert.pk]),
    ]
    pages = 0
    for url in urls:
        response = client.get(url)
        if response.status_code == 404:
            continue
        assert response.status_code == 200, url
        content = response.content.decode("utf-8-sig")
        assert not _leaks(content), (url, _leaks(content))
        pages += 1
    assert pages == len(urls)
    assert "闪退" in client.get(reverse("insights:case", args=[conversations[0].pk])).content.decode()
    assert digest.send_weekly_digests() == 1
    (message,) = mail.outbox
    for part in (message.subject, message.body, message.alternatives[0][0]):
        assert not _leaks(part)
    assert not _leaks(CaseShare.objects.get().note)
    # the news text is masked when it is published (no later page can show it unmasked)
    assert re.search(r"138\*+5678", client.get(reverse("insights:news")).content.decode())
