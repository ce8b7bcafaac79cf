"""The demo centre's portal: months of history with one emerging issue on the front page, defined and
discovered topics, news, and the product department following topics."""

import time
from types import SimpleNamespace

from django.urls import reverse
from django.utils import timezone

from dabai.accounts.models import Role, User
from dabai.insights.demo import seed_demo
from dabai.insights.models import CaseTopic, EmergingRun, NewsItem, Topic, TopicFollow, TopicKind
from dabai.testing import CustomerFactory, DepartmentFactory, UserFactory


def test_the_demo_portal_has_trends_one_emerging_issue_topics_news_and_follows(db, client_for):
    product = DepartmentFactory(slug="product", name="产品部")
    users = {
        "banzhang": UserFactory(username="banzhang", role=Role.SUPERVISOR),
        "chanpin": UserFactory(username="chanpin", role=Role.DEPARTMENT, department=product),
    }
    customers = [CustomerFactory() for _ in range(40)]
    now = timezone.now().replace(second=0, microsecond=0)
    world = SimpleNamespace(now=now, seed=20261125, users=users, teams={}, customers=customers)
    started = time.perf_counter()
    seed_demo(world)  # the portal's part alone (the other apps' parts have their own tests)
    assert time.perf_counter() - started < 60  # seconds on a loaded CI machine
    run = EmergingRun.objects.get()
    top = run.rises.select_related("topic").first()
    assert top is not None and top.observed >= 15
    crash_cases = CaseTopic.objects.filter(topic=top.topic, case__text__contains="闪退").count()
    assert crash_cases >= 0.8 * top.observed  # the App crashes are the emerging issue
    assert Topic.objects.filter(kind=TopicKind.DEFINED).count() == 3
    assert Topic.objects.filter(kind=TopicKind.DISCOVERED, is_active=True).count() >= 3
    weeks = {ct.opened_at.isocalendar()[1] for ct in CaseTopic.objects.all()}
    assert len(weeks) >= 9  # history reaches back beyond the 8-week baseline
    assert NewsItem.objects.count() == 2
    chanpin = User.objects.get(username="chanpin")
    assert TopicFollow.objects.filter(department=chanpin.department).count() == 2
    page = client_for(chanpin).get(reverse("insights:front")).content.decode()
    assert top.topic.name in page and "App 5.2" in page
