"""Social listening: mentions for the desk (masked texts); uploads, sources and alerts for supervisors."""

from django.utils import timezone

from dabai.listening.models import BurstAlert, Mention, Source, SourceKind

from .roles import NOT_DESK, NOT_SUPERVISOR

AGENT_PAGES = {"listening:mentions"}
OBJECT_URLS = {
    "listening:mention": [("mention", NOT_DESK)],
    "listening:source_read": [("listening_source", NOT_SUPERVISOR)],
    "listening:alert_acknowledge": [("burst_alert", NOT_SUPERVISOR)],
}


def extend_world(world: dict, people: dict) -> None:
    world["mention"] = Mention.objects.create(
        key="weibo:world-1",
        origin=SourceKind.WEIBO,
        text="大白宽带又断了",
        author_id="42",
        author_name="路人",
        published_at=timezone.now(),
        topics=["大白"],
    )
    world["listening_source"] = Source.objects.create(
        name="world feed", kind=SourceKind.FEED, url="/nonexistent/feed.xml"
    )
    world["burst_alert"] = BurstAlert.objects.create(
        topic="大白", window_start=timezone.now(), count=12, usual=1
    )
