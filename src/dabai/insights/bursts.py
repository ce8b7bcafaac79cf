"""Social-media rises on the portal: listening's burst alerts (many more public posts about a watched topic in
one hour than usual) shown with the emerging issues and in the weekly digest.

A case-based rise takes a week to become significant; a public outcry takes an hour. Departments see both
in one place: "微博/新闻：宽带断网 1 小时内 40 条提及，为平常的 12 倍", linking to the masked posts (and the
cases they opened). Reads go through ``dabai.listening.selectors``; listening knows nothing of the portal.

Which department hears of which burst: the front page shows every burst of the week to every reader (a
public outcry concerns the whole company). The weekly digest promises "the topics your department follows",
so it lists the bursts whose watch term matches one of them (the topic's name or one of its keywords holds
the term, or the term holds it): finance following 退款到账慢 is not mailed about a 宽带断网 outcry, which is
one click away on the front page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dabai.insights import masking
from dabai.insights.models import Case, Topic
from dabai.insights.topics import keyword_groups
from dabai.knowledge.text import fold
from dabai.listening import selectors as listening

DAYS = 7
FRONT_LIMIT = 5
USUAL_FLOOR = 0.1  # below this many mentions an hour, "N times the usual" means nothing
_HANDLE = re.compile(r"@[^\s@:：,，。!！?？]{1,30}")


def origin_label(origin: str) -> str:
    return {
        "weibo": pgettext("where a public post was read", "Weibo"),
        "feed": pgettext("where a public post was read", "News"),
    }.get(origin, origin)


@dataclass
class SocialRise:
    """One burst alert as the portal shows it."""

    pk: int
    topic: str
    window_start: datetime
    count: int
    usual: float
    negative: int
    origins: list[str]
    url: str = ""

    @property
    def ratio(self) -> float | None:
        return round(self.count / self.usual, 1) if self.usual >= USUAL_FLOOR else None

    @property
    def headline(self) -> str:
        """微博/新闻：话题 1 小时内 N 条提及，为平常的 M 倍 (or "平常几乎没有")."""
        where = "/".join(origin_label(o) for o in self.origins) or _("Social media")
        values = {"origins": where, "topic": self.topic, "count": self.count, "ratio": self.ratio}
        if self.ratio is None:
            return _("%(origins)s: %(topic)s, %(count)s mentions in 1 hour (usually almost none)") % values
        return _("%(origins)s: %(topic)s, %(count)s mentions in 1 hour, %(ratio)s times the usual") % values


def recent(now: datetime | None = None, *, days: int = DAYS, limit: int = FRONT_LIMIT) -> list[SocialRise]:
    """The bursts of the last *days*, newest first, with where their posts were read: two queries."""
    now = now or timezone.now()
    alerts = listening.recent_bursts(now - timedelta(days=days), limit=limit)
    origins = listening.burst_origins(alerts)
    return [
        SocialRise(
            a.pk,
            a.topic,
            a.window_start,
            a.count,
            a.usual,
            a.negative,
            origins.get(a.pk, []),
            reverse("insights:burst", args=[a.pk]),
        )
        for a in alerts
    ]


def _words(topic: Topic) -> set[str]:
    words = {fold(topic.name)} | {w for group in keyword_groups(topic.keywords) for w in group}
    return {w for w in words if len(w) >= 2}


def concerns(rise: SocialRise, topics: list[Topic]) -> bool:
    """Whether a burst's watch term is about one of *topics* (name or keyword holds it, or it holds them)."""
    term = fold(rise.topic)
    return any(w in term or term in w for topic in topics for w in _words(topic))


def for_topics(rises: list[SocialRise], topics: list[Topic]) -> list[SocialRise]:
    return [r for r in rises if concerns(r, topics)]


@dataclass(frozen=True)
class ShownMention:
    """A public post as departments read it: masked text, no author name, no link to the author's post."""

    published_at: datetime
    origin: str
    text: str
    followers: int
    verified: bool
    reposts: int
    sentiment: str
    case_id: int | None


def mentions(alert_pk: int, limit: int = 100) -> tuple[SocialRise | None, list[ShownMention]]:
    """A burst and its posts (masked), with the case each post opened when it opened one."""
    alert = listening.burst(alert_pk)
    if alert is None:
        return None, []
    rise = SocialRise(
        alert.pk,
        alert.topic,
        alert.window_start,
        alert.count,
        alert.usual,
        alert.negative,
        listening.burst_origins([alert]).get(alert.pk, []),
    )
    posts = list(listening.burst_mentions(alert)[:limit])
    with_cases = set(
        Case.objects.filter(pk__in=[m.conversation_id for m in posts if m.conversation_id]).values_list(
            "pk", flat=True
        )
    )
    return rise, [
        ShownMention(
            m.published_at,
            origin_label(m.origin),
            _HANDLE.sub("@***", masking.for_departments(m.text, [m.author_name])),  # nobody's handle either
            m.author_followers,
            m.author_verified,
            m.reposts,
            m.sentiment,
            m.conversation_id if m.conversation_id in with_cases else None,
        )
        for m in posts
    ]
