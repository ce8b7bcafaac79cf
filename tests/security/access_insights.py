"""The voice-of-the-customer portal's newer pages (dabai.insights): dashboards and their chart data, topics,
news, social-media rises. Reading is for portal readers (department members, supervisors, admins); curating
topics and news is for VoC editors (supervisors and admins). The older case-library entries stay in
test_access.py."""

from dabai.insights.dashboards import CHARTS
from dabai.insights.models import NewsItem, Topic, TopicKind

from .roles import NOT_VOC

DEPARTMENT_PAGES = {
    "insights:dashboards",
    "insights:topics",
    "insights:news",
    *(f"insights:chart_{name}" for name in CHARTS),
}

NOT_EDITOR = NOT_VOC | {"department"}
OBJECT_URLS = {
    "insights:topic": [("voc_topic", NOT_VOC)],
    "insights:topic_follow": [("voc_topic", NOT_VOC)],
    "insights:topic_edit": [("voc_topic", NOT_EDITOR)],
    "insights:topic_merge": [("voc_topic", NOT_EDITOR)],
    "insights:topic_promote": [("voc_topic", NOT_EDITOR)],
    "insights:news_item": [("voc_news", NOT_VOC)],
    "insights:news_edit": [("voc_news", NOT_EDITOR)],
    "insights:news_delete": [("voc_news", NOT_EDITOR)],
    "insights:burst": [("voc_burst", NOT_VOC)],
}


def extend_world(world: dict, people: dict) -> None:
    world["voc_topic"] = Topic.objects.create(
        kind=TopicKind.DISCOVERED, key="cluster:world", name="宽带 · 断网", terms={"宽带": 0.7, "断网": 0.7}
    )
    world["voc_news"] = NewsItem.objects.create(
        title="新资费政策",
        body="下月起宽带资费调整",
        author=people["supervisor"],
        published_at="2026-01-05T08:00:00Z",
    )
    from dabai.listening.models import BurstAlert

    world["voc_burst"] = BurstAlert.objects.create(
        topic="宽带断网", window_start="2026-01-05T08:00:00Z", count=40, usual=0.5, negative=30
    )
