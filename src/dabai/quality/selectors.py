"""Reads of quality: outcome figures by team, agent, channel or topic over a date range, in a few queries.

Every figure comes with the count it is computed from (a rate of 100% over 2 conversations is not one over
2,000). Grouping and averaging happen in the database; the number of queries does not grow with the data.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from dabai.accounts.models import Team, User
from dabai.core.choices import Channel
from dabai.quality.agreement import Agreement, agreement
from dabai.quality.models import (
    CalibrationItem,
    CalibrationRound,
    Outcome,
    Review,
    ReviewAnswer,
    ReviewCycle,
    ReviewQuestion,
    SampleItem,
    Survey,
    SurveyStatus,
)
from dabai.replies.labels import INTENT

# The filter's topics by name; "Delivery" alone collides with the delivery-status msgid of the core catalogue
# (送达状态), so the report names it with a context of its own.
TOPIC = {**INTENT, "logistics": pgettext_lazy("topic", "Delivery")}
GROUPS = {"team": "team_id", "agent": "agent_id", "channel": "channel", "intent": "intent"}
MAX_DAYS = 366


@dataclass(frozen=True)
class Figures:
    """Outcome figures of one group (or of everything): rates in percent, durations in business seconds."""

    key: object
    label: str
    total: int
    fcr_rate: float | None
    reopen_rate: float | None
    contained_rate: float | None
    csat_avg: float | None
    csat_satisfied: float | None
    csat_count: int
    effort_avg: float | None
    effort_count: int
    first_response: float | None
    first_response_count: int
    resolution: float | None
    resolution_count: int


def date_range(start: date, end: date) -> tuple[datetime, datetime]:
    """Aware bounds [start 00:00, the day after end 00:00) in the centre's time zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def outcomes_between(start: date, end: date) -> QuerySet[Outcome]:
    since, until = date_range(start, end)
    # No probe filter: a probe conversation never gets an outcome (quality.services skips probe customers,
    # tested in test_probes), and a join to customers on every report query cost a third of the team report.
    return Outcome.objects.filter(first_resolved_at__gte=since, first_resolved_at__lt=until)


AGGREGATES = {
    "total": Count("id"),
    "fcr": Count("id", filter=Q(first_contact_resolved=True)),
    "reopened": Count("id", filter=Q(reopened=True)),
    "contained": Count("id", filter=Q(bot_contained=True)),
    "csat_avg": Avg("csat"),
    "csat_count": Count("csat"),
    "csat_good": Count("id", filter=Q(csat__gte=4)),
    "effort_avg": Avg("effort"),
    "effort_count": Count("effort"),
    "first_response": Avg("first_response_seconds"),
    "first_response_count": Count("first_response_seconds"),
    "resolution": Avg("resolution_seconds"),
    "resolution_count": Count("resolution_seconds"),
}


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _figures(key: object, label: str, row: dict) -> Figures:
    total = row["total"]
    return Figures(
        key=key,
        label=label,
        total=total,
        fcr_rate=_percent(row["fcr"], total),
        reopen_rate=_percent(row["reopened"], total),
        contained_rate=_percent(row["contained"], total),
        csat_avg=row["csat_avg"],
        csat_satisfied=_percent(row["csat_good"], row["csat_count"]),
        csat_count=row["csat_count"],
        effort_avg=row["effort_avg"],
        effort_count=row["effort_count"],
        first_response=row["first_response"],
        first_response_count=row["first_response_count"],
        resolution=row["resolution"],
        resolution_count=row["resolution_count"],
    )


def report(group: str, outcomes: QuerySet[Outcome]) -> list[Figures]:
    """Figures per group, largest first, with readable labels (team and agent names, channel and topic
    names in the user's language): two or three queries whatever the data size."""
    column = GROUPS[group]
    rows = list(outcomes.order_by().values(column).annotate(**AGGREGATES))
    labels = _labels(group, [row[column] for row in rows])
    figures = [_figures(row[column], labels[row[column]], row) for row in rows]
    return sorted(figures, key=lambda f: (-f.total, f.label))


def overall(outcomes: QuerySet[Outcome]) -> Figures:
    return _figures(None, pgettext("figures", "All"), outcomes.order_by().aggregate(**AGGREGATES))


DAILY = {
    "fcr": pgettext_lazy("chart", "First-contact resolution"),
    "reopened": pgettext_lazy("chart", "Reopened"),
    "contained": pgettext_lazy("chart", "Solved without an agent"),
    "csat_good": pgettext_lazy("chart", "Satisfied (4–5 stars)"),
}


def by_day(outcomes: QuerySet[Outcome]) -> dict:
    """Per day of first resolution: the share resolved on first contact, reopened, solved without an agent and
    (of the answers) satisfied, in percent; with each day's counts. One grouped query."""
    zone = timezone.get_current_timezone()
    rows = list(
        outcomes.order_by()
        .annotate(day=TruncDate("first_resolved_at", tzinfo=zone))
        .values("day")
        .annotate(**AGGREGATES)
        .order_by("day")
    )
    days = [row["day"] for row in rows]
    wholes = {"fcr": "total", "reopened": "total", "contained": "total", "csat_good": "csat_count"}
    return {
        "days": days,
        "series": [
            {
                "metric": metric,
                "name": str(name),
                "points": [_percent(r[metric], r[wholes[metric]]) for r in rows],
            }
            for metric, name in DAILY.items()
        ],
    }


def _labels(group: str, keys: list) -> dict[object, str]:
    if group == "team":
        names = Team.objects.in_bulk([k for k in keys if k is not None])
        return {k: str(names[k]) if k in names else _("No team") for k in keys}
    if group == "agent":
        people = User.objects.in_bulk([k for k in keys if k is not None])
        return {k: str(people[k]) if k in people else _("Nobody (bot or unassigned)") for k in keys}
    if group == "channel":
        return {k: str(Channel(k).label) if k in Channel.values else k for k in keys}
    return {k: str(TOPIC[k]) if k in TOPIC else _("Topic not read yet") for k in keys}


def own_outcomes(user: User, outcomes: QuerySet[Outcome], limit: int = 50) -> list[Outcome]:
    """An agent's latest outcomes with what they need to read them (conversation, customer's rating)."""
    return list(
        outcomes.filter(agent=user)
        .select_related("conversation", "conversation__survey")
        .order_by("-first_resolved_at")[:limit]
    )


def recent_comments(outcomes: QuerySet[Outcome], limit: int = 20) -> list[Survey]:
    """The latest survey answers with a comment for the conversations of these outcomes."""
    return list(
        Survey.objects.filter(
            status=SurveyStatus.ANSWERED,
            conversation_id__in=outcomes.values("conversation_id"),
        )
        .exclude(comment="")
        .select_related("agent")
        .order_by("-answered_at")[:limit]
    )


# ------------------------------------------------------------------------------------------------ reviews


def cycles() -> QuerySet[ReviewCycle]:
    """Review cycles with their counts: sampled, reviewed, removed."""
    return ReviewCycle.objects.select_related("team", "created_by").annotate(
        sampled=Count("items", filter=Q(items__removed_at__isnull=True), distinct=True),
        reviewed=Count("items__review", distinct=True),
        removed=Count("items", filter=Q(items__removed_at__isnull=False), distinct=True),
    )


def cycle_items(cycle: ReviewCycle) -> list[SampleItem]:
    return list(
        cycle.items.select_related(
            "agent", "conversation", "conversation__customer", "review__reviewer", "removed_by"
        )
    )


def reviews_of(agent: User, limit: int = 50) -> list[Review]:
    """An agent's reviews with their answers and coaching notes, newest first — never calibration reviews."""
    return list(
        Review.objects.filter(agent=agent, calibration_item__isnull=True, item__isnull=False)
        .select_related("reviewer", "conversation")
        .prefetch_related(Prefetch("answers", queryset=ReviewAnswer.objects.select_related("question")))
        .order_by("-submitted_at")[:limit]
    )


def reviewed_agents() -> list[tuple[User, int]]:
    """Agents with reviews (sampled, not calibration) and how many: the supervisor's way into each."""
    counts = dict(
        Review.objects.filter(calibration_item__isnull=True, item__isnull=False, agent__isnull=False)
        .values_list("agent_id")
        .annotate(n=Count("id"))
        .values_list("agent_id", "n")
    )
    people = User.objects.in_bulk(list(counts))
    return sorted(((people[pk], n) for pk, n in counts.items() if pk in people), key=lambda p: str(p[0]))


@dataclass
class CalibrationFigures:
    question: ReviewQuestion
    result: Agreement


@dataclass
class CalibrationRow:
    item: CalibrationItem
    cells: list[list[str]]  # per question, per reviewer: the verdict ("" if not given)


def calibration(
    round_: CalibrationRound,
) -> tuple[list[User], list[ReviewQuestion], list[CalibrationFigures], list[CalibrationRow]]:
    """The round's reviewers, questions, agreement per question and the answers side by side."""
    reviewers = sorted(round_.reviewers.all(), key=lambda u: u.pk)
    items = list(round_.items.select_related("conversation"))
    verdicts: dict[tuple[int, int, int], str] = {}
    asked: dict[int, ReviewQuestion] = {}
    answers = ReviewAnswer.objects.filter(review__calibration_item__round=round_).select_related(
        "question", "review"
    )
    for answer in answers:
        verdicts[(answer.review.calibration_item_id, answer.question_id, answer.review.reviewer_id)] = (
            answer.verdict
        )
        asked[answer.question_id] = answer.question
    questions = sorted(asked.values(), key=lambda q: (q.order, q.pk))
    figures = []
    for question in questions:
        ratings = []
        for item in items:
            row = [verdicts.get((item.pk, question.pk, r.pk), "") for r in reviewers]
            if all(row):
                ratings.append(row)
        figures.append(CalibrationFigures(question, agreement(ratings)))
    rows = [
        CalibrationRow(
            item, [[verdicts.get((item.pk, q.pk, r.pk), "") for r in reviewers] for q in questions]
        )
        for item in items
    ]
    return reviewers, questions, figures, rows
