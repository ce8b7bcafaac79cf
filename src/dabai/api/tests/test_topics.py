"""Topics through the API: the portal's topics with their recent case counts, read-only, `read:insights`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dabai.insights import services as insight_services
from dabai.insights import topics
from dabai.testing import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def _case(text: str, days_ago: float) -> int:
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, body=text, sent_at=timezone.now() - timedelta(days=days_ago))
    return conversation.pk


def test_topics_carry_their_cases_of_the_last_7_and_28_days(api_for, supervisor):
    ids = [_case("APP 闪退了", 1), _case("又闪退", 3), _case("一打开就闪退", 20), _case("闪退好久了", 40)]
    ids.append(_case("退款没到账", 2))
    insight_services.index_cases(ids)
    crash = topics.define_topic(supervisor, "闪退", keywords="闪退")
    topics.match_topic_history(crash)
    quiet = topics.define_topic(supervisor, "断网", keywords="断网")
    off = topics.define_topic(supervisor, "旧话题", keywords="旧")
    topics.set_topic_active(supervisor, off, False)
    client = api_for("read:insights")
    response = client.get("/api/v1/topics", {"kind": "defined"})
    assert response.status_code == 200, response.content
    items = {t["name"]: t for t in response.json()["items"]}
    assert set(items) == {"闪退", "断网"}
    assert (items["闪退"]["cases_7d"], items["闪退"]["cases_28d"]) == (2, 3)
    assert (items["断网"]["cases_7d"], items["断网"]["cases_28d"]) == (0, 0)
    assert items["闪退"]["key"] == crash.key and items["断网"]["id"] == quiet.pk
    everything = client.get("/api/v1/topics", {"kind": "defined", "include_inactive": "true"}).json()["items"]
    assert "旧话题" in {t["name"] for t in everything}


def test_topics_page_by_cursor_and_need_read_insights(api_for, supervisor):
    for name in ("一", "二", "三"):
        topics.define_topic(supervisor, name, keywords=name)
    client = api_for("read:insights")
    first = client.get("/api/v1/topics", {"kind": "defined", "limit": 2}).json()
    second = client.get(
        "/api/v1/topics", {"kind": "defined", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [t["name"] for t in first["items"] + second["items"]] == ["一", "二", "三"]
    assert second["next_cursor"] is None
    assert api_for("read:conversations").get("/api/v1/topics").status_code == 403
