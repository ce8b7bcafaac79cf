"""State changes of sampled reviews: the centre's questions, review cycles, reviews and calibration rounds.

Reviews replace the 70-item checklist: at most five outcome questions answered yes / partly / no, with notes
that coach rather than deduct. Calibration reviews are stored like the others but are flagged, never shown
to the agent, and never counted in their figures.
"""

import random
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import Team, User
from dabai.conversations.models import Conversation, Insight
from dabai.quality import sampling
from dabai.quality.models import (
    CalibrationItem,
    CalibrationRound,
    Journey,
    Outcome,
    Review,
    ReviewAnswer,
    ReviewCycle,
    ReviewQuestion,
    SampleItem,
    Verdict,
)
from dabai.routing.models import ComplaintCase

MAX_QUESTIONS = 5
MAX_NOTE = 4000
LOW_CSAT = 2


# ------------------------------------------------------------------------------------------------ questions


def active_questions() -> list[ReviewQuestion]:
    return list(ReviewQuestion.objects.filter(active=True))


def add_question(text: str, hint: str = "") -> ReviewQuestion:
    """A new outcome question at the end; the centre keeps at most five in use (short forms get done)."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the question.")})
    if ReviewQuestion.objects.filter(active=True).count() >= MAX_QUESTIONS:
        raise ValidationError(
            _("At most %(n)d questions are in use; retire one first.") % {"n": MAX_QUESTIONS}
        )
    last = ReviewQuestion.objects.aggregate(last=Max("order"))["last"]
    return ReviewQuestion.objects.create(text=text[:200], hint=hint.strip()[:300], order=(last or 0) + 1)


def retire_question(question: ReviewQuestion) -> ReviewQuestion:
    """Out of the form from now on; past answers keep it (they are history)."""
    question.active = False
    question.save(update_fields=["active"])
    return question


# --------------------------------------------------------------------------------------------- sampling


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tzinfo=zone), datetime.combine(
        end + timedelta(days=1), time.min, tzinfo=zone
    )


def candidates(
    start: date, end: date, team: Team | None = None
) -> tuple[list[sampling.Candidate], float | None]:
    """Every conversation first resolved in the period by a person (not a bot), with its risk flags, and
    the long-handling threshold (the period's 80th percentile of business resolution time, at least five
    minutes)."""
    since, until = _bounds(start, end)
    outcomes = Outcome.objects.filter(
        first_resolved_at__gte=since,
        first_resolved_at__lt=until,
        agent__isnull=False,
        agent__is_automated=False,
    )
    if team is not None:
        outcomes = outcomes.filter(team=team)
    rows = list(
        outcomes.values_list(
            "conversation_id",
            "agent_id",
            "csat",
            "reopened",
            "repeat_contacts",
            "journey",
            "resolution_seconds",
        )
    )
    ids = [row[0] for row in rows]
    escalated = set(
        Insight.objects.filter(message__conversation_id__in=ids, escalation_risk=True).values_list(
            "message__conversation_id", flat=True
        )
    ) | set(ComplaintCase.objects.filter(conversation_id__in=ids).values_list("conversation_id", flat=True))
    threshold = sampling.long_handling_threshold([row[6] for row in rows if row[6] is not None])
    found = []
    for conversation_id, agent_id, csat, reopened, repeats, journey, seconds in rows:
        flags = []
        if conversation_id in escalated:
            flags.append("escalation")
        if csat is not None and csat <= LOW_CSAT:
            flags.append("low_csat")
        if reopened or repeats:
            flags.append("reopened")
        if journey == Journey.WORSENED:
            flags.append("worsened")
        if threshold is not None and seconds is not None and seconds > threshold:
            flags.append("long_handling")
        found.append(sampling.Candidate(conversation_id, agent_id, tuple(flags)))
    return found, threshold


def create_cycle(
    *,
    name: str,
    period_start: date,
    period_end: date,
    created_by: User,
    per_agent_per_week: int = 5,
    random_share: int = 40,
    weights: dict[str, float] | None = None,
    seed: int | None = None,
    team: Team | None = None,
) -> ReviewCycle:
    """Draw the sample and store it as a review cycle. Without a seed one is chosen and stored, so the
    sample can be redrawn and checked."""
    if period_end < period_start or (period_end - period_start).days > 92:
        raise ValidationError(_("The period must run forwards and span at most three months."))
    if not 1 <= per_agent_per_week <= 50 or not 0 <= random_share <= 100:
        raise ValidationError(_("Pick 1–50 conversations per agent and week and a random share of 0–100%."))
    weights = {**sampling.DEFAULT_WEIGHTS, **(weights or {})}
    seed = random.SystemRandom().randrange(1, 2**31) if seed is None else seed
    found, threshold = candidates(period_start, period_end, team)
    per_agent = sampling.quota(per_agent_per_week, (period_end - period_start).days + 1)
    picks = sampling.draw(found, per_agent=per_agent, random_share=random_share, weights=weights, seed=seed)
    with transaction.atomic():
        cycle = ReviewCycle.objects.create(
            name=name.strip()[:100] or f"{period_start}–{period_end}",
            period_start=period_start,
            period_end=period_end,
            team=team,
            per_agent_per_week=per_agent_per_week,
            random_share=random_share,
            weights=weights,
            seed=seed,
            long_handling_seconds=threshold,
            created_by=created_by,
        )
        SampleItem.objects.bulk_create(
            [
                SampleItem(
                    cycle=cycle,
                    conversation_id=p.conversation_id,
                    agent_id=p.agent_id,
                    reasons=p.reasons,
                    rank=p.rank,
                )
                for p in picks
            ]
        )
    return cycle


def redraw(cycle: ReviewCycle) -> list[sampling.Pick]:
    """The sample the cycle's settings and seed give today (the same, unless outcomes changed since)."""
    found, _threshold = candidates(cycle.period_start, cycle.period_end, cycle.team)
    per_agent = sampling.quota(cycle.per_agent_per_week, (cycle.period_end - cycle.period_start).days + 1)
    return sampling.draw(
        found, per_agent=per_agent, random_share=cycle.random_share, weights=cycle.weights, seed=cycle.seed
    )


def remove_item(item: SampleItem, *, by: User, reason: str) -> SampleItem:
    """Take a conversation out of the sample: only with a reason, which stays on record."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this conversation leaves the sample.")})
    if hasattr(item, "review"):
        raise ValidationError(_("This conversation has been reviewed already."))
    item.removed_at, item.removed_by, item.removal_reason = timezone.now(), by, reason[:300]
    item.save(update_fields=["removed_at", "removed_by", "removal_reason"])
    return item


# ---------------------------------------------------------------------------------------------- reviews


def clean_answers(answers: dict) -> dict[int, tuple[str, str]]:
    """Every active question answered yes / partly / no (with an optional note): errors per question
    (``q<pk>``), all at once."""
    questions = active_questions()
    if not questions:
        raise ValidationError(_("The centre has no review questions yet."))
    errors: dict[str, str] = {}
    cleaned: dict[int, tuple[str, str]] = {}
    for question in questions:
        verdict, note = answers.get(question.pk, ("", ""))
        if verdict not in Verdict.values:
            errors[f"q{question.pk}"] = _("Answer yes, partly or no.")
        elif len(note or "") > MAX_NOTE:
            errors[f"q{question.pk}"] = _("Keep the note under %(n)d characters.") % {"n": MAX_NOTE}
        else:
            cleaned[question.pk] = (verdict, (note or "").strip())
    if errors:
        raise ValidationError(errors)
    return cleaned


def _store(review: Review, cleaned: dict[int, tuple[str, str]]) -> None:
    review.answers.all().delete()
    ReviewAnswer.objects.bulk_create(
        [ReviewAnswer(review=review, question_id=pk, verdict=v, note=n) for pk, (v, n) in cleaned.items()]
    )


def review_item(item: SampleItem, *, reviewer: User, answers: dict, coaching_note: str) -> Review:
    """Review one sampled conversation (or revise the review); it reaches the agent with the reviewer."""
    if item.removed_at is not None:
        raise ValidationError(_("This conversation was removed from the sample."))
    if len(coaching_note) > MAX_NOTE:
        raise ValidationError({"coaching_note": _("Keep the note under %(n)d characters.") % {"n": MAX_NOTE}})
    cleaned = clean_answers(answers)
    with transaction.atomic():
        review, _created = Review.objects.update_or_create(
            item=item,
            defaults={
                "conversation_id": item.conversation_id,
                "agent_id": item.agent_id,
                "reviewer": reviewer,
                "coaching_note": coaching_note.strip(),
                "submitted_at": timezone.now(),
            },
        )
        _store(review, cleaned)
    return review


def create_calibration(
    *, name: str, conversations: list[Conversation], reviewers: list[User], created_by: User, cycle=None
) -> CalibrationRound:
    """A calibration round: every reviewer reviews the same conversations."""
    if len(set(reviewers)) < 2:
        raise ValidationError({"reviewers": _("Calibration needs at least two reviewers.")})
    if not conversations:
        raise ValidationError({"conversations": _("Pick at least one conversation.")})
    with transaction.atomic():
        calibration = CalibrationRound.objects.create(
            name=name.strip()[:100] or _("Calibration"), cycle=cycle, created_by=created_by
        )
        calibration.reviewers.set(set(reviewers))
        CalibrationItem.objects.bulk_create(
            [
                CalibrationItem(round=calibration, conversation=c, order=n)
                for n, c in enumerate(dict.fromkeys(conversations))
            ]
        )
    return calibration


def review_calibration_item(
    item: CalibrationItem, *, reviewer: User, answers: dict, coaching_note: str = ""
) -> Review:
    """One reviewer's calibration review (revisable): only the round's reviewers may give one."""
    if not item.round.reviewers.filter(pk=reviewer.pk).exists():
        raise ValidationError(_("You are not a reviewer of this calibration round."))
    cleaned = clean_answers(answers)
    with transaction.atomic():
        review, _created = Review.objects.update_or_create(
            calibration_item=item,
            reviewer=reviewer,
            defaults={
                "conversation_id": item.conversation_id,
                "agent_id": Outcome.objects.filter(conversation_id=item.conversation_id)
                .values_list("agent_id", flat=True)
                .first(),
                "coaching_note": coaching_note.strip()[:MAX_NOTE],
                "submitted_at": timezone.now(),
            },
        )
        _store(review, cleaned)
    return review
