"""Topics: the intent taxonomy, editors' keyword topics (synonyms, traditional script, examples) and clusters
discovered in recent messages, whose ids survive re-clustering so follows and trends keep their meaning."""

import random

import pytest
from django.urls import reverse

from dabai.insights import selectors, topics
from dabai.insights.models import Case, CaseTopic, Topic, TopicKind
from dabai.insights.tests.history import history

GROUPS = {
    "app": ["App更新后一直闪退", "新版App打开就闪退", "升级App以后闪退打不开", "App闪退，更新后登录不了"],
    "invoice": ["电子发票一直开不出来", "发票抬头开错了怎么重开发票", "申请电子发票没收到", "发票开具失败"],
    "parcel": ["快递包裹显示签收但没收到", "包裹被快递员放错驿站", "快递包裹丢了", "包裹签收了却不在驿站"],
}
FILLERS = ["", "请尽快处理", "麻烦看一下", "急！", "谢谢", "已经好几天了"]


def _mixed(n_per_group: int, seed: int = 1, days: int = 20) -> list[tuple]:
    rng = random.Random(seed)
    rows = []
    for group, texts in GROUPS.items():
        for i in range(n_per_group):
            rows.append(
                (rng.randint(0, days), "chat", rng.choice(texts) + rng.choice(FILLERS), f"{group}{i}")
            )
    return rows


def _topic_of(group: str) -> Topic:
    """The discovered topic holding most cases of *group*."""
    texts = GROUPS[group]
    counts: dict[int, int] = {}
    for topic_id, text in CaseTopic.objects.filter(source="discovered").values_list("topic_id", "case__text"):
        if any(t in text for t in texts):
            counts[topic_id] = counts.get(topic_id, 0) + 1
    return Topic.objects.get(pk=max(counts, key=counts.get))


def test_every_case_gets_the_topics_of_its_intents(db):
    history([(1, "chat", "宽带断网三天了，一直没人来修"), (2, "email", "快递三天还没到，订单一直显示运输中")])
    for case in Case.objects.all():
        keys = set(CaseTopic.objects.filter(case=case).values_list("topic__key", flat=True))
        assert f"intent:{case.intent}" in keys or case.intent == "other"
    assert Topic.objects.filter(kind=TopicKind.INTENT).count() == 10  # the taxonomy without "other"


def test_a_defined_topic_matches_synonyms_traditional_script_and_examples_in_new_and_past_cases(
    db, supervisor
):
    past = history([(3, "chat", "家裡寬帶斷網了，怎麼辦"), (4, "chat", "快递没到")])
    topic = topics.define_topic(
        supervisor, "宽带断网", keywords="宽带断网, 断网，掉线\n上不了网", examples="小区停电以后光猫红灯闪烁"
    )
    topics.match_topic_history(topic)  # the editor's save runs this as a task
    assert set(CaseTopic.objects.filter(topic=topic).values_list("case_id", flat=True)) == {past[0].pk}
    fresh = history(
        [
            (0, "phone", "路由器一直掉线，烦死了"),
            (0, "chat", "小区停电以后光猫红灯闪烁不停"),
            (0, "chat", "想问下套餐价格"),
        ]
    )
    matched = set(CaseTopic.objects.filter(topic=topic).values_list("case_id", flat=True))
    assert matched == {past[0].pk, fresh[0].pk, fresh[1].pk}


def test_the_case_library_filters_and_counts_by_topic(db, supervisor, department_member, client_for):
    rows = history([(1, "chat", "宽带断网了"), (2, "phone", "宽带又断网"), (3, "chat", "发票怎么开")])
    topic = topics.define_topic(supervisor, "断网", keywords="断网")
    topics.match_topic_history(topic)
    facet = next(f for f in selectors.facets(selectors.CaseFilters()) if f.key == "topic")
    assert {v.value: v.count for v in facet.values}[str(topic.pk)] == 2
    page = client_for(department_member).get(reverse("insights:cases"), {"topic": topic.pk}).content.decode()
    assert 'data-testid="voc-total">2' in page and f">#{rows[2].pk}<" not in page
    assert (
        client_for(department_member).get(reverse("insights:cases"), {"topic": "x;drop"}).status_code == 200
    )


@pytest.mark.parametrize("seed", [3])
def test_discovered_topics_are_named_by_their_phrases_and_keep_their_ids_when_clustering_again(db, seed):
    history(_mixed(14))
    first = topics.discover_topics(seed=seed)
    assert first.created >= 3
    found = {group: _topic_of(group) for group in GROUPS}
    assert len({t.pk for t in found.values()}) == 3
    assert "闪退" in found["app"].name and "发票" in found["invoice"].name
    # more messages arrive, the clustering runs again with another seed: the same topics come back
    history(_mixed(5, seed=seed + 1, days=2))
    again = topics.discover_topics(seed=seed + 11)
    assert again.matched >= 3
    assert {group: _topic_of(group).pk for group in GROUPS} == {g: t.pk for g, t in found.items()}


def test_editors_rename_merge_and_promote_discovered_topics(db, supervisor):
    history(_mixed(14))
    topics.discover_topics()
    app, invoice, parcel = _topic_of("app"), _topic_of("invoice"), _topic_of("parcel")
    topics.edit_topic(supervisor, app, name="App 闪退")
    topics.merge_topic(supervisor, parcel, invoice)
    topics.discover_topics(seed=99)
    app.refresh_from_db()
    assert app.name == "App 闪退" and app.is_active  # the editor's name survives re-clustering
    parcel_cases = CaseTopic.objects.filter(case__text__contains="包裹")
    assert not parcel_cases.filter(topic=parcel).exists()
    assert parcel_cases.filter(topic=invoice).count() >= 10  # merged: later clusters land on the target
    promoted = topics.promote_topic(supervisor, app)
    assert promoted.pk == app.pk and promoted.kind == TopicKind.DEFINED and "闪退" in promoted.keywords
    assert CaseTopic.objects.filter(topic=app, source="defined").count() >= 10
    with pytest.raises(topics.TopicError):
        topics.merge_topic(supervisor, invoice, invoice)


def test_a_selected_topic_stays_in_its_facet_however_small(db, supervisor):
    history([(1, "chat", "宽带断网了")] + [(1, "chat", f"快递没到，第{i}次催") for i in range(20)])
    rare = topics.define_topic(supervisor, "断网", keywords="断网")
    topics.match_topic_history(rare)
    for i in range(selectors.TOPIC_FACET_SIZE + 2):
        topics.match_topic_history(topics.define_topic(supervisor, f"快递{i}", keywords="快递"))
    facet = next(
        f
        for f in selectors.facets(selectors.CaseFilters(chosen={"topic": [str(rare.pk)]}))
        if f.key == "topic"
    )
    assert facet.values[0].value == str(rare.pk) and facet.values[0].selected and facet.values[0].count == 1


def test_cases_linked_to_a_follow_up_get_the_has_follow_up_facet(
    db, supervisor, department_member, client_for, django_capture_on_commit_callbacks
):
    from dabai.followups import services as followups

    rows = history([(1, "chat", "App更新后闪退"), (2, "chat", "快递没到")])
    with django_capture_on_commit_callbacks(execute=True):
        followups.open_followup(
            title="App 闪退",
            department=department_member.department,
            opened_by=supervisor,
            conversations=[rows[0]],
        )
    assert Case.objects.get(pk=rows[0].pk).has_follow_up and not Case.objects.get(pk=rows[1].pk).has_follow_up
    page = client_for(supervisor).get(reverse("insights:case", args=[rows[0].pk])).content.decode()
    assert 'data-testid="open-followup"' in page and f"conversation={rows[0].pk}" in page
    member_page = (
        client_for(department_member).get(reverse("insights:case", args=[rows[0].pk])).content.decode()
    )
    assert 'data-testid="open-followup"' not in member_page
