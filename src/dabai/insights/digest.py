"""The weekly digest: each department that follows topics gets one e-mail a week, in Chinese, with each
followed topic's volume and change, what is emerging among them (else the centre's top rises), three masked
customer quotes and links into the portal.

"Once per department per week" is a unique row (``DigestSent``) written in the same transaction as the
decision to send; the mail goes out after it commits, so two workers never send the same digest twice and a
mail server that is down leaves no row behind (the task retries).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dabai.accounts.models import Department, Role, User
from dabai.insights import bursts, emerging
from dabai.insights.models import Case, CaseTopic, DigestSent, Topic, TopicFollow

logger = logging.getLogger(__name__)
QUOTES = 3


def public_url(path: str) -> str:
    base = getattr(settings, "DABAI_PUBLIC_URL", "") or os.environ.get("DABAI_PUBLIC_URL", "")
    return f"{base.rstrip('/')}{path}"


def week_of(now: datetime) -> date:
    today = timezone.localdate(now)
    return today - timedelta(days=today.weekday())


@dataclass
class TopicLine:
    topic: Topic
    this_week: int
    last_week: int
    url: str

    @property
    def change(self) -> int | None:
        """Change against the week before, in per cent (None when there was nothing to compare with)."""
        if not self.last_week:
            return None
        return round(100 * (self.this_week - self.last_week) / self.last_week)


@dataclass
class Digest:
    department: Department
    week: date
    lines: list[TopicLine]
    rises: list[emerging.ShownRise]
    rises_are_followed: bool
    quotes: list[tuple[str, str]]
    portal_url: str
    subject: str = ""
    bursts: list[bursts.SocialRise] = field(default_factory=list)


def build(department: Department, now: datetime) -> Digest | None:
    """The department's digest of the 7 days before *now*, or None when it follows no topic."""
    followed = list(Topic.objects.filter(follows__department=department).order_by("name"))
    if not followed:
        return None
    ids = [t.pk for t in followed]
    this_week, last_week = now - timedelta(days=7), now - timedelta(days=14)
    counts = {
        row["topic_id"]: row
        for row in CaseTopic.objects.filter(topic_id__in=ids, opened_at__gte=last_week, opened_at__lt=now)
        .values("topic_id")
        .annotate(
            this=Count("case_id", filter=Q(opened_at__gte=this_week)),
            last=Count("case_id", filter=Q(opened_at__lt=this_week)),
        )
    }
    lines = [
        TopicLine(
            t,
            counts.get(t.pk, {}).get("this", 0),
            counts.get(t.pk, {}).get("last", 0),
            public_url(reverse("insights:topic", args=[t.pk])),
        )
        for t in followed
    ]
    run = emerging.latest_run()
    rises = emerging.shown_rises(run, topic_ids=set(ids), limit=3)
    followed_rises = bool(rises)
    if not rises:
        rises = emerging.shown_rises(run, limit=3)
    quoted = (
        Case.objects.filter(
            pk__in=CaseTopic.objects.filter(
                topic_id__in=ids, opened_at__gte=this_week, opened_at__lt=now
            ).values("case_id")
        )
        .exclude(summary="")
        .order_by("-opened_at", "-pk")
        .values_list("pk", "summary")[:QUOTES]
    )
    quotes = [(summary, public_url(reverse("insights:case", args=[pk]))) for pk, summary in quoted]
    # the week's public outcries about what the department follows (see bursts.py for why only those)
    social = bursts.for_topics(bursts.recent(now, days=7, limit=50), followed)[:5]
    for rise in social:
        rise.url = public_url(rise.url)
    return Digest(
        department,
        week_of(now),
        lines,
        rises,
        followed_rises,
        quotes,
        public_url(reverse("insights:front")),
        bursts=social,
    )


def render(digest: Digest) -> tuple[str, str, str]:
    """Subject, text and HTML, in Chinese (the centre's language) whatever the sender's language."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Voice of the customer weekly: %(department)s, week of %(week)s") % {
            "department": digest.department.name,
            "week": digest.week.isoformat(),
        }
        digest.subject = subject
        for rise in digest.rises:
            rise.url = public_url(reverse("insights:topic", args=[rise.topic.pk]))
        context = {"digest": digest}
        text = render_to_string("insights/email/digest.txt", context)
        html = render_to_string("insights/email/digest.html", context)
    return subject, text, html


def recipients(department: Department) -> list[str]:
    return sorted(
        set(
            User.objects.filter(department=department, role=Role.DEPARTMENT, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def send_department_digest(department: Department, now: datetime | None = None) -> bool:
    """Send this week's digest to the department's members unless it went out already; True when sent."""
    now = now or timezone.now()
    digest = build(department, now)
    to = recipients(department)
    if digest is None or not to:
        return False
    subject, text, html = render(digest)
    try:
        with transaction.atomic():
            DigestSent.objects.create(department=department, week=digest.week, recipients=len(to))
            message = EmailMultiAlternatives(subject, text, to=to)
            message.attach_alternative(html, "text/html")
            message.send()  # a failure rolls the row back, so the retry sends it
    except IntegrityError:
        return False  # this week's digest went out already
    logger.info("VoC digest for %s sent to %d members", department.slug, len(to))
    return True


def send_weekly_digests(now: datetime | None = None) -> int:
    """Every department that follows a topic, once this week."""
    now = now or timezone.now()
    departments = Department.objects.filter(pk__in=TopicFollow.objects.values("department_id")).exclude(
        pk__in=DigestSent.objects.filter(week=week_of(now)).values("department_id")
    )
    return sum(send_department_digest(d, now) for d in departments)
