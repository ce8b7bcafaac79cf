"""Emerging issues are computed once a day and stored: a new complaint cluster injected into two months of
steady history tops the list, steady topics stay off it, and the front page reads the stored run."""

import random
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dabai.insights import emerging, selectors, topics
from dabai.insights.models import Case, CaseTopic, EmergingRun
from dabai.insights.tests.history import history

STEADY = [
    "快递三天还没到，订单一直显示运输中",
    "包裹到哪了，物流信息一直不更新",
    "怎么申请退款，退款多久到账",
    "退货地址在哪里，我要退货",
    "话费怎么多扣了二十元",
    "会员自动续费怎么取消",
]
BURST = [
    "新版App更新后一直闪退，根本打不开",
    "App升级以后闪退，登录就崩溃",
    "更新App后闪退，太气人了！我要投诉",
]


def steady_history(seed: int = 5, weeks: int = 9) -> list[tuple]:
    rng = random.Random(seed)
    return [(rng.uniform(0, 7 * weeks), "chat", rng.choice(STEADY)) for _ in range(20 * weeks)]


def burst(n: int = 14, seed: int = 6) -> list[tuple]:
    rng = random.Random(seed)
    return [(rng.uniform(0, 6), rng.choice(["chat", "phone", "weibo"]), rng.choice(BURST)) for _ in range(n)]


def test_a_new_complaint_cluster_tops_the_stored_list(db, department_member, client_for):
    history(steady_history() + burst())
    topics.discover_topics()
    run = emerging.compute_emerging()
    rises = list(run.rises.select_related("topic"))
    assert rises, "the burst must be flagged"
    top = rises[0]
    burst_cases = set(Case.objects.filter(text__contains="闪退").values_list("pk", flat=True))
    this_week = set(
        CaseTopic.objects.filter(
            topic=top.topic, opened_at__gte=timezone.now() - timedelta(days=7)
        ).values_list("case_id", flat=True)
    )
    assert len(this_week & burst_cases) >= 0.8 * len(this_week)  # the top rise is the new complaints
    assert top.observed >= 10 and top.p_value < 0.01 and top.rank == 1
    assert set(top.examples) <= burst_cases
    steady = {
        t
        for t in CaseTopic.objects.filter(case__text__contains="快递三天").values_list("topic_id", flat=True)
    }
    assert not steady & {r.topic_id for r in rises}  # steady topics are not news
    page = client_for(department_member).get(reverse("insights:front")).content.decode()
    assert 'data-testid="emerging-issue"' in page and top.topic.name in page


def test_the_front_page_reads_the_stored_run_and_never_recomputes(db, department_member, client_for):
    history(steady_history(weeks=3) + burst(8))
    emerging.compute_emerging()
    client = client_for(department_member)
    client.get(reverse("insights:front"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("insights:front"))
    history(steady_history(seed=9, weeks=9) + burst(20, seed=8))
    emerging.compute_emerging()  # the same day: replaces the first run
    assert EmergingRun.objects.count() == 1
    with CaptureQueriesContext(connection) as large:
        page = client.get(reverse("insights:front")).content.decode()
    assert len(small) == len(large)
    assert not any("insights_casetopic" in q["sql"] for q in large.captured_queries)
    assert "闪退" in page


def test_nothing_rising_says_so_and_the_daily_run_is_one_per_day(db, department_member, client_for):
    client = client_for(department_member)
    assert 'data-testid="no-emerging"' in client.get(reverse("insights:front")).content.decode()
    history(steady_history(weeks=9))
    first = emerging.compute_emerging()
    again = emerging.compute_emerging()
    assert EmergingRun.objects.get().pk == again.pk != first.pk
    assert not again.rises.exists()


def test_rise_needs_a_minimum_volume():
    assert not selectors.rise(3, [0] * 8).significant  # improbable, but three cases are not an issue yet
    assert selectors.rise(6, [0] * 8).significant
    assert not selectors.rise(12, [10, 9, 11, 12, 10, 8, 10, 11]).significant
