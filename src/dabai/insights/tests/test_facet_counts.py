"""The library's facet counts, total and trend come from one query over the matching cases; they must equal
a count made case by case, for every facet, with a query and several facets chosen, on both databases."""

import random
from collections import Counter
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dabai.conversations.models import Conversation
from dabai.customers.models import Customer, Tier
from dabai.insights import selectors, topics
from dabai.insights.models import Case, CaseTopic
from dabai.insights.services import index_cases
from dabai.insights.tests.history import history

TEXTS = [
    "家里宽带断网三天了，一直没人来修，太气人了！我要投诉",
    "宽带断网了，路由器灯一直红，怎么办",
    "宽带又断网，客服电话打不通，非常失望",
    "我想问一下宽带套餐怎么升级到千兆",
    "App更新后一直闪退，宽带也断网了",
    "快递三天还没到，订单一直显示运输中",
    "谢谢你们的客服，问题解决得很快，非常满意",
]
CHANNELS = ["phone", "chat", "email", "wechat"]


def _library(supervisor):
    rng = random.Random(14)
    rows = [(rng.randint(0, 80), rng.choice(CHANNELS), rng.choice(TEXTS)) for _ in range(90)]
    conversations = history(rows)
    for c in conversations:  # facets the filter does not set from these texts: tier, product, flags
        Case.objects.filter(pk=c.pk).update(
            tier=rng.choice(["regular", "vip", "premium"]),
            product=rng.choice(["", "光宽带", "App", "千兆套餐"]),
            escalation=rng.random() < 0.3,
            has_follow_up=rng.random() < 0.2,
        )
    outage = topics.define_topic(supervisor, "宽带断网", keywords="断网")
    topics.match_topic_history(outage)
    return outage


def _brute_force(filters: selectors.CaseFilters, matching: set[int]) -> dict:
    """Every facet's counts, the total and this week's count, case by case in Python."""
    topics_of: dict[int, set[str]] = {}
    for case_id, topic_id, active in CaseTopic.objects.values_list("case_id", "topic_id", "topic__is_active"):
        topics_of.setdefault(case_id, set())
        if active:
            topics_of[case_id].add(str(topic_id))
    cases = list(Case.objects.filter(pk__in=matching))

    def keeps(case: Case, without: str) -> bool:
        for facet, values in filters.chosen.items():
            if facet == without:
                continue
            if facet == "topic":
                if not topics_of.get(case.pk, set()) & set(values):
                    return False
            elif str(getattr(case, facet)) not in values:
                return False
        for facet, value in filters.flags.items():
            if facet != without and getattr(case, selectors.FLAG_FIELDS[facet]) != (value == "1"):
                return False
        return True

    counts: dict[str, Counter] = {}
    for facet in (*selectors.MULTI, *selectors.FLAGS):
        counted: Counter = Counter()
        for case in cases:
            if not keeps(case, facet):
                continue
            if facet == "topic":
                counted.update(topics_of.get(case.pk, set()))
            elif facet in selectors.FLAGS:
                counted["1" if getattr(case, selectors.FLAG_FIELDS[facet]) else "0"] += 1
            else:
                counted[getattr(case, facet)] += 1
        counts[facet] = counted
    kept = [c for c in cases if keeps(c, "")]
    week_ago = timezone.now() - timedelta(days=7)
    return {"facets": counts, "total": len(kept), "this_week": sum(c.opened_at >= week_ago for c in kept)}


def test_facet_counts_equal_a_case_by_case_count_with_a_query_and_several_facets(db, supervisor):
    outage = _library(supervisor)
    combinations = [
        selectors.CaseFilters(q="宽带", chosen={"channel": ["phone", "chat"], "sentiment": ["negative"]}),
        selectors.CaseFilters(
            q="断网",
            chosen={"topic": [str(outage.pk)], "tier": ["vip", "regular"]},
            flags={"escalation": "1"},
        ),
        selectors.CaseFilters(chosen={"product": ["App", "光宽带"]}, flags={"follow_up": "0"}),
        selectors.CaseFilters(
            q="宽带断网",
            chosen={"channel": ["email", "wechat", "phone"], "topic": [str(outage.pk)]},
            since=timezone.localdate() - timedelta(days=40),
        ),
        # the page as first opened (nothing narrows the cases) and with one facet and no query: their
        # counts are kept a minute; counted twice, the second time from what was kept
        selectors.CaseFilters(),
        selectors.CaseFilters(),
        selectors.CaseFilters(chosen={"channel": ["phone"]}),
        selectors.CaseFilters(chosen={"channel": ["phone"]}),
        selectors.CaseFilters(flags={"escalation": "1"}),
    ]
    for filters in combinations:
        matching = set(
            selectors.filtered(selectors.CaseFilters(q=filters.q, since=filters.since)).values_list(
                "pk", flat=True
            )
        )
        expected = _brute_force(filters, matching)
        counted = selectors.count(filters)
        for facet in counted.facets:
            shown = {v.value: v.count for v in facet.values}
            want = dict(expected["facets"][facet.key])
            if facet.key == "product":
                want = dict(
                    sorted(((v, n) for v, n in want.items() if v), key=lambda kv: (-kv[1], kv[0]))[:12]
                )
            assert shown == want, (filters, facet.key)
        assert counted.total == expected["total"] > 0, filters
        assert counted.total == selectors.filtered(filters).count()
        # the page ranks the newest matches the same query found: the same cases in the same order
        _page, alone, total = selectors.results(filters, 1)
        _page, together, total_too = selectors.results(filters, 1, counted=counted)
        assert [r.pk for r in together] == [r.pk for r in alone] and total == total_too == counted.total
        assert counted.weekly[-1]["count"] == expected["this_week"], filters
        assert (
            sum(w["count"] for w in counted.weekly)
            == selectors.filtered(filters)
            .filter(opened_at__gte=timezone.now() - timedelta(days=7 * len(counted.weekly)))
            .count()
        )


def _query(url: str, params: dict):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, [str(v) for v in (value if isinstance(value, list) else [value])])
    return query


def test_the_library_page_counts_with_the_same_queries_whatever_is_chosen(
    db, supervisor, department_member, client_for
):
    outage = _library(supervisor)
    client = client_for(department_member)
    url = reverse("insights:cases")
    queries = []
    for params in (
        {"q": "宽带断网"},
        {"q": "宽带断网", "channel": "phone", "sentiment": "negative", "topic": outage.pk},
        {"q": "宽带", "channel": ["phone", "chat"], "tier": ["vip", "regular"], "follow_up": "0"},
    ):
        client.get(url, params)
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url, params).content.decode()
        queries.append(len(captured))
        total = selectors.filtered(selectors.CaseFilters.from_query(_query(url, params))).count()
        assert total > 0 and f'data-testid="voc-total">{total}' in page
    assert len(set(queries)) == 1, queries


def _check_unfiltered(filters: selectors.CaseFilters) -> None:
    matching = set(selectors.filtered(selectors.CaseFilters()).values_list("pk", flat=True))
    expected = _brute_force(filters, matching)
    counted = selectors.count(filters)
    for facet in counted.facets:
        if facet.key != "product":
            assert {v.value: v.count for v in facet.values} == dict(expected["facets"][facet.key]), facet.key
    assert counted.total == expected["total"] == selectors.filtered(filters).count()
    assert counted.weekly[-1]["count"] == expected["this_week"]


def test_kept_unfiltered_counts_follow_new_cases_and_new_topics(
    db, supervisor, department_member, client_for
):
    """The unfiltered library's counts are kept a minute, but never show a library older than its cases
    and topics: new cases indexed and a topic defined afterwards are counted on the next page."""
    _library(supervisor)
    client = client_for(department_member)
    url = reverse("insights:cases")
    for filters in (selectors.CaseFilters(), selectors.CaseFilters(chosen={"channel": ["phone"]})):
        _check_unfiltered(filters)
    before = selectors.filtered(selectors.CaseFilters()).count()
    assert f'data-testid="voc-total">{before}' in client.get(url).content.decode()

    history([(0, "phone", "宽带断网了，今天第三次了"), (1, "chat", "App闪退，打不开")])
    assert f'data-testid="voc-total">{before + 2}' in client.get(url).content.decode()
    crash = topics.define_topic(supervisor, "App闪退", keywords="闪退")
    topics.match_topic_history(crash)
    for filters in (selectors.CaseFilters(), selectors.CaseFilters(chosen={"channel": ["phone"]})):
        _check_unfiltered(filters)
    topic = next(f for f in selectors.count(selectors.CaseFilters()).facets if f.key == "topic")
    crashes = Case.objects.filter(text__contains="闪退").count()
    assert {v.value: v.count for v in topic.values}.get(str(crash.pk)) == crashes > 0


def test_the_unfiltered_library_page_skips_its_counting_query_when_kept(
    db, supervisor, department_member, client_for
):
    """The first page every department member sees: kept counts spare the counting query (one query less,
    never more) and show the same total."""
    _library(supervisor)
    client = client_for(department_member)
    url = reverse("insights:cases")
    total = selectors.filtered(selectors.CaseFilters()).count()
    for params in ({}, {"channel": "phone"}):
        selectors.forget_counts()
        with CaptureQueriesContext(connection) as fresh:
            page = client.get(url, params).content.decode()
        with CaptureQueriesContext(connection) as kept:
            again = client.get(url, params).content.decode()
        assert len(fresh) - len(kept) == 1, (params, len(fresh), len(kept))
        shown = (
            total
            if not params
            else selectors.filtered(selectors.CaseFilters(chosen={"channel": ["phone"]})).count()
        )
        assert f'data-testid="voc-total">{shown}' in page and f'data-testid="voc-total">{shown}' in again


def test_kept_counts_follow_a_case_indexed_again(db, supervisor, department_member, client_for):
    """A case indexed again (its customer moved to another tier) changes no newest case and no topic, yet
    the next page counts it under its new tier: every index write drops the counts kept in this process."""
    _library(supervisor)
    regular = selectors.CaseFilters(chosen={"tier": ["regular"]})
    before = selectors.count(regular).total
    case = Case.objects.filter(tier="regular").order_by("pk").first()
    conversation = Conversation.objects.select_related("customer").get(pk=case.pk)
    Customer.objects.filter(pk=conversation.customer_id).update(tier=Tier.VIP)
    index_cases(
        Conversation.objects.filter(customer_id=conversation.customer_id).values_list("pk", flat=True)
    )
    moved = Case.objects.filter(pk=case.pk, tier="vip").exists()
    assert moved and selectors.count(regular).total < before
    assert selectors.count(regular).total == Case.objects.filter(tier="regular").count()
