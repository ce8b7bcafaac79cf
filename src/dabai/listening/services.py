"""Every state change of social listening: reading a source, storing mentions, opening conversations, alerts.

``ingest`` works set-wise (a poller page or an export of thousands of posts costs a handful of queries plus
one filter pass over the posts that matched).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import Role, User
from dabai.accounts.services import record_audit
from dabai.conversations.services import Inbound, add_notes, receive_messages
from dabai.core.choices import Channel
from dabai.customers.services import Handle
from dabai.filter import analyse_many
from dabai.listening import conf
from dabai.listening.matching import Term, cached_matcher, split_synonyms
from dabai.listening.models import (
    BurstAlert,
    Mention,
    MentionTopic,
    Source,
    WatchTerm,
)
from dabai.listening.sources import READERS, Post, Problem, SourceUnreadable, fetch

logger = logging.getLogger(__name__)
BOT_USERNAME = "dabai-listening"
MAX_PROBLEMS_KEPT = 20


@dataclass
class Report:
    """What one reading did: shown on the source's line and returned by the task."""

    read: int = 0
    stored: int = 0
    duplicates: int = 0
    own_account: int = 0
    unmatched: int = 0
    conversations: int = 0
    problems: list[str] = field(default_factory=list)
    skipped: int = 0
    alerts: int = 0

    def problem(self, text: str) -> None:
        """Count a skipped item; the first few are kept word for word for the report."""
        self.skipped += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(text)

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "own_account": self.own_account,
            "unmatched": self.unmatched,
            "conversations": self.conversations,
            "alerts": self.alerts,
            "skipped": self.skipped,
            "problems": self.problems,
        }


def listening_bot() -> User:
    """The automated author of the notes that put a mention's reach beside its conversation."""
    user, _created = User.objects.get_or_create(
        username=BOT_USERNAME,
        defaults={"role": Role.AGENT, "display_name": "舆情监测", "is_automated": True, "is_active": False},
    )
    return user


def matcher():
    """The automaton of every active watch term (rebuilt only when a term or watchlist changed)."""
    rows = WatchTerm.objects.filter(watchlist__is_active=True)
    version = tuple(rows.aggregate(n=Count("id"), at=Max("updated_at"), lists=Max("watchlist__id")).values())
    terms = tuple(
        Term(term, (term, *split_synonyms(synonyms)))
        for term, synonyms in rows.order_by("pk").values_list("term", "synonyms")
    )
    return cached_matcher(version, terms)


def _own_account(post: Post, own: set[str]) -> bool:
    return bool(own) and any(name.lower() in own for name in post.mentions)


def ingest(
    items: Iterable[Post | Problem], *, source: Source | None = None, now: datetime | None = None
) -> Report:
    """Store the posts that name a watch term (once each), have the filter read them, open conversations
    for the negative or escalating Weibo ones and check for bursts. Problems are counted, never raised."""
    now = now or timezone.now()
    report = Report()
    own = {name.strip().lstrip("@").lower() for name in (source.own_accounts if source else "").split(",")}
    own |= conf.own_accounts()
    own.discard("")
    posts: dict[str, Post] = {}
    for item in items:
        if isinstance(item, Problem):
            report.problem(f"{item.where}: {item.why}")
            continue
        report.read += 1
        if item.key in posts:
            report.duplicates += 1
        elif _own_account(item, own):
            report.own_account += 1  # an @-mention of us: the Weibo channel brings it to the inbox
        else:
            posts[item.key] = item
    existing = set()
    keys = list(posts)
    for start in range(0, len(keys), 1000):
        existing |= set(
            Mention.objects.filter(key__in=keys[start : start + 1000]).values_list("key", flat=True)
        )
    report.duplicates += len(existing)
    found = _matched([post for key, post in posts.items() if key not in existing])
    report.unmatched = len(posts) - len(existing) - len(found)
    if not found:
        return report
    readings = analyse_many([(post.text, "weibo") for post, _topics, _terms in found])
    mentions = _store(found, readings, source)
    report.stored = len(mentions)
    report.conversations = open_conversations([m for m in mentions if m.needs_answer and m.origin == "weibo"])
    topics = {topic for mention in mentions for topic in mention.topics}
    report.alerts = len(detect_bursts(topics, now=now))
    return report


def _matched(posts: list[Post]) -> list[tuple[Post, list[str], list[str]]]:
    current = matcher()
    found = []
    for post in posts:
        topics, terms = current.match(post.text)
        if topics:
            found.append((post, topics, terms))
    return found


def _mention(post: Post, topics: list[str], terms: list[str], reading, source: Source | None) -> Mention:
    return Mention(
        key=post.key,
        source=source,
        origin=post.origin,
        url=post.url,
        text=post.text,
        author_id=post.author_id,
        author_name=post.author_name,
        author_followers=post.author_followers,
        author_verified=post.author_verified,
        author_description=post.author_description,
        reposts=post.reposts,
        comments=post.comments,
        likes=post.likes,
        published_at=post.published_at,
        terms=terms,
        topics=topics,
        sentiment=reading.sentiment["label"],
        sentiment_score=float(reading.sentiment.get("score") or 0),
        escalation_risk=bool(reading.escalation.get("risk")),
        escalation_cues=list(reading.escalation.get("cues") or [])[:10],
        intent=(reading.intent or {}).get("label", "") or "",
    )


def _store(found, readings, source: Source | None) -> list[Mention]:
    """Insert the mentions and their topic rows; a post stored meanwhile by another run is skipped."""
    rows = [
        _mention(post, topics, terms, reading, source)
        for (post, topics, terms), reading in zip(found, readings, strict=True)
    ]
    try:
        with transaction.atomic():
            stored = Mention.objects.bulk_create(rows, batch_size=500)
            _store_topics(stored)
            return stored
    except IntegrityError:
        kept = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save()
                    _store_topics([row])
                    kept.append(row)
            except IntegrityError:
                continue
        return kept


def _store_topics(mentions: list[Mention]) -> None:
    MentionTopic.objects.bulk_create(
        [MentionTopic(mention=m, topic=t, published_at=m.published_at) for m in mentions for t in m.topics],
        batch_size=1000,
    )


def open_conversations(mentions: list[Mention]) -> int:
    """Each negative or escalating Weibo mention becomes a public Weibo conversation (the 20-minute public SLA
    applies), stored through the conversations' own intake; a note beside it shows the reach and the link."""
    mentions = [m for m in mentions if m.author_id and m.conversation_id is None]
    if not mentions:
        return 0
    items = [
        Inbound(
            channel=Channel.WEIBO,
            handle=Handle(Channel.WEIBO, m.author_id, handle=m.author_name),
            body=m.text,
            external_id=f"listening:{m.key.removeprefix('weibo:')}",
            raw_payload={
                "kind": "mention",
                "id": m.key.removeprefix("weibo:"),
                "status_id": m.key.removeprefix("weibo:"),
                "user": {"idstr": m.author_id, "screen_name": m.author_name},
                "source": "listening",
                "listening_mention": m.pk,
                "followers": m.author_followers,
                "reposts": m.reposts,
                "comments": m.comments,
                "url": m.url,
                "published_at": m.published_at.isoformat(),
            },
            # The answer clock starts when we found the post: its publication time is in the note.
            sent_at=None,
            is_public=True,
            subject=_("Public post: %(topics)s") % {"topics": "、".join(m.topics)},
        )
        for m in mentions
    ]
    bot = listening_bot()
    notes = []
    with transaction.atomic():
        received = receive_messages(items)
        for mention, result in zip(mentions, received, strict=True):
            mention.conversation_id = result.message.conversation_id
            if result.created:
                notes.append((result.message.conversation, reach_note(mention)))
        add_notes(notes, bot)  # set-wise: one insert for the batch's reach notes
        Mention.objects.bulk_update(mentions, ["conversation"])
    return len(notes)


def reach_note(mention: Mention) -> str:
    """What the agent needs before answering in public: who wrote, how far it reaches, where to see it."""
    verified = _("verified") if mention.author_verified else _("not verified")
    return _(
        "Found by social listening (not an @-mention). Author %(name)s (%(verified)s), "
        "%(followers)s followers; %(reposts)s reposts, %(comments)s comments, %(likes)s likes. "
        "Topics: %(topics)s. Published %(published)s. Post: %(url)s · Mention: /listening/mentions/%(id)s/"
    ) % {
        "name": mention.author_name or "—",
        "verified": verified,
        "followers": f"{mention.author_followers:,}",
        "reposts": f"{mention.reposts:,}",
        "comments": f"{mention.comments:,}",
        "likes": f"{mention.likes:,}",
        "topics": "、".join(mention.topics),
        "published": timezone.localtime(mention.published_at).strftime("%Y-%m-%d %H:%M"),
        "url": mention.url or "—",
        "id": mention.pk,
    }


def detect_bursts(topics: Iterable[str], *, now: datetime | None = None) -> list[BurstAlert]:
    """A topic with at least ``burst_minimum`` mentions in the last hour and ``burst_factor`` times its usual
    hourly rate (the past week) raises one alert per topic and hour, mailed to supervisors."""
    topics = set(topics)
    if not topics:
        return []
    now = now or timezone.now()
    hour_ago = now - timedelta(hours=1)
    week_ago = now - timedelta(days=7)
    rows = (
        MentionTopic.objects.filter(topic__in=topics, published_at__gt=week_ago, published_at__lte=now)
        .values("topic")
        .annotate(
            recent=Count("id", filter=Q(published_at__gt=hour_ago)),
            before=Count("id", filter=Q(published_at__lte=hour_ago)),
            negative=Count("id", filter=Q(published_at__gt=hour_ago, mention__sentiment="negative")),
        )
    )
    window = now.replace(minute=0, second=0, microsecond=0)
    raised = []
    for row in rows:
        usual = row["before"] / (7 * 24 - 1)
        if row["recent"] < conf.burst_minimum() or row["recent"] < conf.burst_factor() * usual:
            continue
        alert, created = BurstAlert.objects.get_or_create(
            topic=row["topic"],
            window_start=window,
            defaults={"count": row["recent"], "usual": round(usual, 2), "negative": row["negative"]},
        )
        if created:
            raised.append(alert)
            transaction.on_commit(lambda alert=alert: _mail_supervisors(alert))
        elif alert.count < row["recent"]:
            BurstAlert.objects.filter(pk=alert.pk).update(count=row["recent"], negative=row["negative"])
    return raised


def _mail_supervisors(alert: BurstAlert) -> None:
    addresses = list(
        User.objects.filter(role__in=[Role.SUPERVISOR, Role.ADMIN], is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not addresses:
        return
    subject = _("Listening alert: %(count)s mentions of %(topic)s in the last hour") % {
        "count": alert.count,
        "topic": alert.topic,
    }
    body = _(
        "%(count)s public posts named %(topic)s in the last hour (usually %(usual)s an hour), "
        "%(negative)s of them negative. See /listening/alerts/ in dabai."
    ) % {"count": alert.count, "topic": alert.topic, "usual": alert.usual, "negative": alert.negative}
    try:
        send_mail(subject, body, None, addresses)
    except Exception:
        logger.exception("listening: mailing the burst alert on %s failed", alert.topic)


def acknowledge_alert(alert: BurstAlert, user: User) -> None:
    BurstAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=user, acknowledged_at=timezone.now()
    )
    record_audit(user, "listening.alert_acknowledged", alert)


def read_source(source: Source, *, now: datetime | None = None) -> Report:
    """Fetch and read one configured source; an unreadable source is reported on it, never raised."""
    now = now or timezone.now()
    try:
        data = fetch(source.url)
        report = ingest(READERS[source.kind].read(data), source=source, now=now)
    except SourceUnreadable as exc:
        report = Report()
        report.problem(f"{source.url}: {exc}")
    Source.objects.filter(pk=source.pk).update(last_read_at=now, last_report=report.as_dict())
    if report.problems:
        logger.warning(
            "listening: %s skipped %d item(s): %s", source.name, report.skipped, report.problems[:3]
        )
    return report


def read_upload(kind: str, data: bytes, user: User) -> Report:
    """A supervisor's uploaded Weibo export or feed file, read at once; audited."""
    try:
        report = ingest(READERS[kind].read(data))
    except SourceUnreadable as exc:
        report = Report()
        report.problem(str(exc))
    record_audit(user, "listening.upload", user, {"kind": kind, **report.as_dict()})
    return report


def due_sources(now: datetime) -> list[Source]:
    return [
        s
        for s in Source.objects.filter(is_active=True)
        if s.last_read_at is None or s.last_read_at + timedelta(minutes=s.interval_minutes) <= now
    ]
