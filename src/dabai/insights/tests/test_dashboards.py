"""Dashboards count unique conversations and customers, take the case library's filters, drill down to the
matching cases, and read each chart in one grouped query whatever the data size."""

import json
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dabai.conversations.models import Direction
from dabai.conversations.services import PastConversation, PastMessage, record_history
from dabai.insights import dashboards, selectors, topics
from dabai.insights.dashboards import CHARTS
from dabai.insights.models import Case
from dabai.insights.services import rebuild_case_index
from dabai.insights.tests.history import history
from dabai.testing import CustomerFactory

ROWS = [
    (1, "chat", "宽带断网三天了，太气人了！我要投诉"),
    (2, "phone", "宽带又断网了，怎么回事"),
    (3, "email", "谢谢你们，宽带修好了，非常满意"),
    (9, "wechat", "快递三天还没到"),
    (10, "chat", "发票怎么开"),
]


def _chart(client, name: str, **params) -> dict:
    response = client.get(reverse(f"insights:chart_{name}"), params)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_a_customer_writing_many_messages_counts_once(db, department_member, client_for):
    """Five messages in one conversation, two conversations of one customer: 2 conversations, 1 customer."""
    customer = CustomerFactory(display_name="张三")
    at = timezone.now() - timedelta(days=1)
    record_history(
        [
            PastConversation(
                customer=customer,
                channel="chat",
                messages=[
                    PastMessage(Direction.INBOUND, f"宽带断网了，第{i}次催", at + timedelta(minutes=i))
                    for i in range(5)
                ],
            ),
            PastConversation(
                customer=customer,
                channel="chat",
                messages=[PastMessage(Direction.INBOUND, "宽带还是断网", at)],
            ),
        ]
    )
    rebuild_case_index()
    channels = _chart(client_for(department_member), "channels")
    assert [(i["value"], i["customers"], i["drill"]) for i in channels["items"]] == [(2, 1, "channel=chat")]
    series = _chart(client_for(department_member), "topics")["series"]
    assert series and all(s["total"] <= 2 and s["customers"] == 1 for s in series)


def test_charts_follow_the_filters_and_every_point_drills_down_to_its_cases(
    db, supervisor, department_member, client_for
):
    history(ROWS)
    outage = topics.define_topic(supervisor, "宽带断网", keywords="断网")
    topics.match_topic_history(outage)
    client = client_for(department_member)
    data = _chart(client, "topics")
    line = next(s for s in data["series"] if s["name"] == "宽带断网")
    assert sum(line["data"]) == 2 and line["total"] == 2
    week = line["data"].index(2)  # both outages fell in the same 7-day window
    query = parse_qs(line["drill"][week])
    assert query["topic"] == [str(outage.pk)] and "since" in query and "until" in query
    drilled = client.get(reverse("insights:cases") + "?" + line["drill"][week]).content.decode()
    assert 'data-testid="voc-total">2' in drilled
    only = _chart(client, "topics", topic=outage.pk)["series"]
    assert [(s["name"], s["total"]) for s in only] == [("宽带断网", 2)]  # a topic's own trend line
    # the library's filters narrow every chart: only phone
    phone = _chart(client, "channels", channel="phone")
    assert [(i["value"], i["drill"]) for i in phone["items"]] == [(1, "channel=phone")]
    sentiment = _chart(client, "sentiment", topic=outage.pk)
    assert sum(sum(s["data"]) for s in sentiment["series"]) == 2
    negative = next(s for s in sentiment["series"] if s["key"] == "negative")
    assert all("sentiment=negative" in d and f"topic={outage.pk}" in d for d in negative["drill"])
    net = _chart(client, "net_sentiment")
    assert all(-100 <= v <= 100 for v in net["data"]) and len(net["drill"]) == len(net["labels"])
    escalations = _chart(client, "escalations")
    assert all("escalation=1" in d for d in escalations["drill"])
    assert _chart(client, "products")["labels"] is not None
    assert client.get("/voc/charts/nope.json").status_code == 404


def test_net_sentiment_is_percent_positive_minus_percent_negative(db, supervisor):
    history(
        [
            (1, "chat", "宽带断网了，太气人了！我要投诉"),
            (2, "chat", "宽带好用，非常满意，谢谢"),
            (3, "chat", "宽带套餐多少钱"),
        ]
    )
    topic = topics.define_topic(supervisor, "宽带", keywords="宽带")
    topics.match_topic_history(topic)
    sentiments = list(Case.objects.values_list("sentiment", flat=True))
    expected = round(100 * (sentiments.count("positive") - sentiments.count("negative")) / 3, 1)
    net = dashboards.net_sentiment(selectors.CaseFilters())
    assert net["data"][net["labels"].index("宽带")] == expected


@pytest.mark.parametrize("chart", CHARTS)
def test_chart_data_takes_the_same_number_of_queries_at_any_size(
    db, department_member, client_for, chart, django_assert_max_num_queries
):
    client = client_for(department_member)
    history(ROWS)
    client.get(reverse(f"insights:chart_{chart}"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse(f"insights:chart_{chart}"), {"q": "宽带", "channel": "chat"})
    history(ROWS * 8)
    topics.discover_topics()
    with CaptureQueriesContext(connection) as large:
        client.get(reverse(f"insights:chart_{chart}"), {"q": "宽带", "channel": "chat"})
    assert len(small) == len(large)
    with django_assert_max_num_queries(4):  # session, user, the chart's one grouped query (+ FTS vocabulary)
        client.get(reverse(f"insights:chart_{chart}"))


def test_the_dashboard_page_lists_every_chart_with_the_filters(db, department_member, client_for):
    page = (
        client_for(department_member)
        .get(reverse("insights:dashboards"), {"channel": "phone"})
        .content.decode()
    )
    for chart in CHARTS:
        assert f'data-testid="chart-{chart}"' in page
    assert "charts/topics.json?channel=phone" in page
