"""What a survey's answers say: counts per choice, mean ratings, NPS, free texts with the filter's mood.

Free texts leave here masked (``dabai.filter.mask``, lenient): a participant who writes their phone number
into a comment does not see it printed on the organiser's results page or in the CSV.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from dabai.core import csvsafe
from dabai.filter import mask
from dabai.surveys.models import CHOICE_KINDS, Answer, Question, QuestionKind, Response, Survey

SCALE_VALUES = {QuestionKind.RATING: range(1, 6), QuestionKind.NPS: range(0, 11)}


@dataclass
class TextAnswer:
    text: str
    sentiment: str


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    counts: list[tuple[str, int, float]] = field(default_factory=list)  # label, count, percent of answered
    mean: float | None = None
    nps: float | None = None
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    texts: list[TextAnswer] = field(default_factory=list)
    moods: dict[str, int] = field(default_factory=dict)

    @property
    def chart(self) -> dict[str, Any]:
        """The bar chart's data for ECharts (labels and counts)."""
        return {"labels": [c[0] for c in self.counts], "values": [c[1] for c in self.counts]}


@dataclass
class SurveyResults:
    survey: Survey
    invited: int
    responses: int
    questions: list[QuestionResult]

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.responses / self.invited, 1) if self.invited else None


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def nps(scores: list[int]) -> float | None:
    """Net Promoter Score: % promoters (9–10) − % detractors (0–6), from −100 to 100."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return round(100 * (promoters - detractors) / len(scores), 1)


def results(survey: Survey) -> SurveyResults:
    """Every question's figures, in three queries whatever the number of responses."""
    questions = list(survey.questions.all())
    by_question: dict[int, list[Answer]] = {q.pk: [] for q in questions}
    for answer in Answer.objects.filter(response__survey=survey).order_by("response_id"):
        by_question.setdefault(answer.question_id, []).append(answer)
    out = []
    for question in questions:
        answers = by_question[question.pk]
        result = QuestionResult(question=question, answered=len(answers))
        if question.kind in SCALE_VALUES:
            numbers = [a.number for a in answers if a.number is not None]
            result.counts = [
                (str(v), numbers.count(v), _percent(numbers.count(v), len(numbers)))
                for v in SCALE_VALUES[question.kind]
            ]
            result.mean = round(sum(numbers) / len(numbers), 2) if numbers else None
            if question.kind == QuestionKind.NPS:
                result.nps = nps(numbers)
                result.promoters = sum(1 for s in numbers if s >= 9)
                result.passives = sum(1 for s in numbers if 7 <= s <= 8)
                result.detractors = sum(1 for s in numbers if s <= 6)
        elif question.kind in CHOICE_KINDS:
            picked = [c for a in answers for c in a.choices]
            result.counts = [
                (c, picked.count(c), _percent(picked.count(c), len(answers))) for c in question.choices
            ]
        else:
            result.texts = [TextAnswer(mask(a.text, lenient=True), a.sentiment) for a in answers if a.text]
            for text in result.texts:
                mood = text.sentiment or "unknown"
                result.moods[mood] = result.moods.get(mood, 0) + 1
        out.append(result)
    return SurveyResults(
        survey=survey,
        invited=survey.invitations.count(),
        responses=survey.responses.count(),
        questions=out,
    )


def _cell(question: Question, answer: Answer | None) -> str | int:
    if answer is None:
        return ""
    if question.kind in SCALE_VALUES:
        return "" if answer.number is None else answer.number
    if question.kind in CHOICE_KINDS:
        return "; ".join(answer.choices)
    return mask(answer.text, lenient=True)


def write_csv(survey: Survey, file: Any) -> int:
    """Every response as one row (formula-safe cells, free texts masked). Named surveys carry who answered
    and when; anonymous ones only the day. Returns the number of rows written."""
    questions = list(survey.questions.all())
    texts = [q for q in questions if q.kind == QuestionKind.TEXT]
    header = ["n", "answered_on"]
    if not survey.anonymous:
        header += ["answered_at", "name", "email"]
    header += [q.text for q in questions] + [f"{q.text} (sentiment)" for q in texts]
    writer = csvsafe.writer(file)
    writer.writerow(header)
    rows = (
        Response.objects.filter(survey=survey)
        .select_related("invitation__user", "invitation__customer")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.all()))
        .order_by("submitted_on", "id")
    )
    count = 0
    for response in rows:
        answers = {a.question_id: a for a in response.answers.all()}
        row: list[Any] = [count + 1, response.submitted_on.isoformat()]
        if not survey.anonymous:
            invitation = response.invitation
            email = ""
            if invitation is not None:
                email = invitation.email or (invitation.user.email if invitation.user_id else "")
            row += [
                response.submitted_at.isoformat() if response.submitted_at else "",
                invitation.display_name if invitation else "",
                email,
            ]
        row += [_cell(q, answers.get(q.pk)) for q in questions]
        row += [answers[q.pk].sentiment if q.pk in answers else "" for q in texts]
        writer.writerow(row)
        count += 1
    return count
