"""Background work of the portal: the case index, topic matching, the daily discovery and emerging-issue
run, and the weekly digests. Periodic work is a task that re-enqueues itself (``run_after``); a worker that
starts begins a fresh chain and older chains retire at their next run (``ScheduleChain``)."""

import logging
import uuid
from datetime import datetime, time, timedelta

from django.utils import timezone
from django_tasks import task

from dabai.core.tasking import retry_later

logger = logging.getLogger(__name__)
DAILY_AT = time(4, 30)  # local time: yesterday is complete, nobody reads the portal yet
DIGEST_AT = time(8, 0)  # Monday morning, local time
DIGEST_RETRY = timedelta(hours=1)


@task()
def index_cases(conversation_ids: list[int], attempt: int = 0) -> int:
    """Refresh the portal's cases (and their topics) of these conversations; retried with back-off."""
    from dabai.insights.services import index_cases as index

    try:
        return index(conversation_ids)
    except Exception:
        logger.exception(
            "case index failed for %d conversations (attempt %d)", len(conversation_ids), attempt
        )
        if not retry_later(index_cases, attempt, conversation_ids):
            raise
        return 0


@task()
def match_topic_history(topic_id: int, attempt: int = 0) -> int:
    """Apply a defined topic's (new) keywords and examples to every past case."""
    from dabai.insights import topics
    from dabai.insights.models import Topic

    topic = Topic.objects.filter(pk=topic_id).first()
    if topic is None:
        return 0
    try:
        return topics.match_topic_history(topic)
    except Exception:
        logger.exception("matching topic %d failed (attempt %d)", topic_id, attempt)
        if not retry_later(match_topic_history, attempt, topic_id):
            raise
        return 0


def _next_local(at: time, *, weekday: int | None = None) -> datetime:
    now = timezone.localtime()
    moment = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    while moment <= now or (weekday is not None and moment.weekday() != weekday):
        moment += timedelta(days=1)
    return moment


def start_chain(name: str) -> str:
    from dabai.insights.models import ScheduleChain

    chain = uuid.uuid4().hex
    ScheduleChain.objects.update_or_create(name=name, defaults={"chain": chain})
    {"daily": daily_run, "digest": weekly_digests}[name].enqueue(chain)
    return chain


def _current(name: str, chain: str) -> bool:
    from dabai.insights.models import ScheduleChain

    return bool(ScheduleChain.objects.filter(name=name, chain=chain).update(ran_at=timezone.now()))


@task()
def daily_run(chain: str) -> dict:
    """Discover topics in recent cases, then compute and store today's emerging issues; schedule tomorrow."""
    from dabai.insights import emerging, topics

    if not _current("daily", chain):
        return {"retired": True}
    out: dict = {}
    try:
        found = topics.discover_topics()
        run = emerging.compute_emerging()
        out = {"clusters": found.clusters, "created": found.created, "rises": run.rises.count()}
    except Exception:
        logger.exception("the portal's daily run failed; it runs again tomorrow")
    daily_run.using(run_after=_next_local(DAILY_AT)).enqueue(chain)
    return out


@task()
def weekly_digests(chain: str) -> int:
    """Send this week's digests (once per department); a failure is retried within the hour."""
    from dabai.insights.digest import send_weekly_digests

    if not _current("digest", chain):
        return 0
    sent, later = 0, _next_local(DIGEST_AT, weekday=0)
    try:
        sent = send_weekly_digests()
    except Exception:
        logger.exception("weekly digests failed; retrying in an hour")
        later = timezone.now() + DIGEST_RETRY
    weekly_digests.using(run_after=later).enqueue(chain)
    return sent


@task()
def refresh_topics() -> dict:
    """Discovery and today's emerging issues now (an editor asked), outside the daily chain."""
    from dabai.insights import emerging, topics

    found = topics.discover_topics()
    run = emerging.compute_emerging()
    return {"clusters": found.clusters, "created": found.created, "rises": run.rises.count()}
