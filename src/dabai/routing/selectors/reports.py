"""The SLA report's reads (issue 16): attainment per channel, team, agent and tier and per day, breaches with
the reason in words, routing decisions explained. They count unique conversations (a conversation with a late
first answer and a late resolution is one breached conversation, not two), group in the database (one query
per table or chart whatever the data size) and label everything for people: channel and tier names, team and
agent names, not codes.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import Team, User
from dabai.core.choices import Channel
from dabai.customers.models import Tier
from dabai.customers.selectors import shown_name
from dabai.routing.models import ClockState, RoutingDecision, RoutingRule, SlaBreach, SlaClock, TierPolicy
from dabai.routing.timewords import span


def report_since(days: int) -> datetime:
    return period(days)[0]


def period(days: int, today: date | None = None) -> tuple[datetime, datetime]:
    """Whole days: [the start of the day ``days - 1`` before today, the start of tomorrow), clamped to a year,
    so a figure and the list of its conversations cover exactly the same stretch."""
    today = today or timezone.localdate()
    days = max(1, min(days, 366))
    zone = timezone.get_current_timezone()
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), tzinfo=zone)
    return start, datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=zone)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)


def attainment(group: str, since: datetime) -> list[dict]:
    """Share of conversations whose ended clocks all met their target, per day and per channel, team or tier
    (the CSV export's rows; the labels are people's words, not codes)."""
    field = {"channel": "channel", "team": "team_id", "tier": "tier"}.get(group, "channel")
    zone = timezone.get_current_timezone()
    rows = list(
        ended_clocks(since, timezone.now() + timedelta(days=1))
        .annotate(day=TruncDate("stopped_at", tzinfo=zone))
        .values("day", field)
        .annotate(**_COUNTS)
        .order_by("day", field)
    )
    labels = group_labels(
        group if group in {"channel", "team", "tier"} else "channel", [r[field] for r in rows]
    )
    return [
        {
            "day": row["day"],
            "group": labels[row[field]],
            "met": row["total"] - row["breached"],
            "total": row["total"],
            "rate": _rate(row["total"] - row["breached"], row["total"]),
        }
        for row in rows
    ]


# ------------------------------------------------------------------------------ SLA report (issue 16)

REPORT_GROUPS = {
    "channel": "channel",
    "team": "team_id",
    "agent": "conversation__assignee_id",
    "tier": "tier",
}
ENDED = (ClockState.MET, ClockState.BREACHED)
_COUNTS = {
    "total": Count("conversation", distinct=True),
    "breached": Count("conversation", filter=Q(state=ClockState.BREACHED), distinct=True),
}


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def ended_clocks(since: datetime, until: datetime, kind: str = "") -> QuerySet[SlaClock]:
    """Clocks that ended (met or late) in [since, until), of one kind or all; never a channel probe's (seed
    002's synthetic messages are flagged on their customer and left out of every report)."""
    clocks = SlaClock.objects.filter(
        stopped_at__gte=since, stopped_at__lt=until, state__in=ENDED, conversation__customer__is_probe=False
    )
    return clocks.filter(kind=kind) if kind else clocks


def group_labels(group: str, keys: Iterable) -> dict:
    """Readable names for group keys: 在线聊天 not ``chat``, 全球通 not ``premium``, 陈班长 not ``7``."""
    keys = list(dict.fromkeys(keys))
    if group == "channel":
        return {k: str(Channel(k).label) if k in Channel.values else (k or "—") for k in keys}
    if group == "tier":
        named = dict(TierPolicy.objects.values_list("tier", "label"))
        return {k: named.get(k) or (str(Tier(k).label) if k in Tier.values else (k or "—")) for k in keys}
    if group == "team":
        names = dict(Team.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
        return {k: names.get(k, _("No team")) for k in keys}
    people = User.objects.in_bulk([k for k in keys if k])
    return {k: str(people[k]) if k in people else _("Nobody (unassigned)") for k in keys}


@dataclass(frozen=True)
class Attainment:
    key: object
    label: str
    met: int
    breached: int
    total: int
    rate: float | None


def attainment_by(group: str, clocks: QuerySet[SlaClock]) -> list[Attainment]:
    """Per channel, team, agent or tier: conversations whose ended clocks all met their target (2 queries)."""
    column = REPORT_GROUPS[group]
    rows = list(clocks.order_by().values(column).annotate(**_COUNTS))
    labels = group_labels(group, [r[column] for r in rows])
    result = [
        Attainment(
            r[column],
            labels[r[column]],
            r["total"] - r["breached"],
            r["breached"],
            r["total"],
            _rate(r["total"] - r["breached"], r["total"]),
        )
        for r in rows
    ]
    return sorted(result, key=lambda a: (-a.total, a.label))


def attainment_overall(clocks: QuerySet[SlaClock]) -> Attainment:
    row = clocks.order_by().aggregate(**_COUNTS)
    met = row["total"] - row["breached"]
    return Attainment(None, _("All"), met, row["breached"], row["total"], _rate(met, row["total"]))


def attainment_by_day(group: str, clocks: QuerySet[SlaClock]) -> dict:
    """The chart: one line per group, a point per day (percent met; empty where nothing ended). One query."""
    column = REPORT_GROUPS[group]
    zone = timezone.get_current_timezone()
    rows = list(
        clocks.order_by()
        .annotate(day=TruncDate("stopped_at", tzinfo=zone))
        .values("day", column)
        .annotate(**_COUNTS)
    )
    days = sorted({r["day"] for r in rows})
    labels = group_labels(group, [r[column] for r in rows])
    series: dict = {}
    for r in rows:
        points = series.setdefault(r[column], {})
        points[r["day"]] = (r["total"] - r["breached"], r["total"])
    return {
        "days": days,
        "series": [
            {"key": key, "name": labels[key], "points": [points.get(day) for day in days]}
            for key, points in sorted(series.items(), key=lambda item: labels[item[0]])
        ],
    }


@dataclass(frozen=True)
class BreachLine:
    clock: SlaClock
    breach: SlaBreach | None
    reason: str
    late_by: float


def breaches_between(since: datetime, until: datetime, limit: int = 100) -> list[BreachLine]:
    """Promises broken in the period (the sweep's breach records, and clocks that ended late between two
    sweeps), latest deadline first, with the customer, channel, agent and the reason in words: which promise,
    its target, how late. One query."""
    now = timezone.now()
    clocks = (
        SlaClock.objects.filter(
            Q(breach__at__gte=since, breach__at__lt=until)
            | Q(breached_at__gte=since, breached_at__lt=until)
            | Q(state=ClockState.BREACHED, stopped_at__gte=since, stopped_at__lt=until),
            conversation__customer__is_probe=False,
        )
        .select_related("breach__escalated_to", "conversation__customer", "conversation__assignee")
        .order_by("-due_at", "-id")[:limit]
    )
    lines = []
    for clock in clocks:
        breach = getattr(clock, "breach", None)
        due = clock.due_at or (breach.at if breach else now)
        late_by = max(0.0, ((clock.stopped_at or now) - due).total_seconds())
        words = {
            "kind": clock.get_kind_display(),
            "target": span(clock.target_minutes * 60),
            "late": span(late_by),
        }
        if clock.stopped_at:
            reason = _("%(kind)s promised within %(target)s, given %(late)s late") % words
        else:
            reason = _("%(kind)s promised within %(target)s, still waiting, %(late)s over") % words
        lines.append(BreachLine(clock, breach, reason, late_by))
    return lines


_CODE = re.compile(r"\b[a-z][a-z_]*[a-z]\b")


def explain_decision(decision: RoutingDecision, topics: dict[str, str]) -> str:
    """A routing decision as a sentence: the rule in words and its reason with topic, channel and language
    codes replaced by their names ("分配给周舟：技能匹配：退款退货, 中文", not ``refund_return, zh``)."""
    names = {**topics, **{k: str(v) for k, v in Channel.choices}, "zh": _("Chinese"), "en": _("English")}
    reason = _CODE.sub(lambda m: names.get(m.group(0), m.group(0)), decision.reason)
    rule = RoutingRule(decision.rule).label if decision.rule in RoutingRule.values else decision.rule
    reason = reason or str(rule)
    if decision.agent_id:
        return _("Given to %(agent)s: %(reason)s") % {"agent": decision.agent, "reason": reason}
    return _("%(rule)s: %(reason)s") % {"rule": rule, "reason": reason}


def decisions_between(since: datetime, until: datetime, limit: int = 100) -> QuerySet[RoutingDecision]:
    decisions = RoutingDecision.objects.filter(
        at__gte=since, at__lt=until, conversation__customer__is_probe=False
    )
    return decisions.select_related("agent", "conversation__customer")[:limit]


def customer_label(name: str) -> str:
    """A customer as reports show them (pages and exports leave the agent's desk): a phone, email or handle
    masked as the desk masks it, a person's name cut to its first character ("王**")."""
    shown = shown_name(name or "")
    if shown != (name or ""):
        return shown
    return shown[:1] + "*" * min(len(shown) - 1, 3) if len(shown) > 1 else shown
