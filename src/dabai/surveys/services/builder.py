"""The survey builder's state changes: a questionnaire and its questions (fixed once answers come in)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.surveys.models import CHOICE_KINDS, Question, QuestionKind, Survey

MAX_CHOICES = 20


def clean_question(spec: dict[str, Any]) -> dict[str, Any]:
    """A question's fields from a dict (``kind``, ``text``, ``required``, ``choices``), or a ValidationError
    saying what is wrong with it."""
    kind = spec.get("kind")
    text = str(spec.get("text") or "").strip()
    raw = spec.get("choices") or []
    if isinstance(raw, str):
        raw = raw.splitlines()
    choices = list(dict.fromkeys(str(c).strip() for c in raw if str(c).strip()))
    errors: dict[str, str] = {}
    if kind not in QuestionKind.values:
        errors["kind"] = _("Choose a kind of question.")
    if not text:
        errors["text"] = _("Write the question.")
    elif len(text) > 500:
        errors["text"] = _("Keep the question under 500 characters.")
    if kind in CHOICE_KINDS and not 2 <= len(choices) <= MAX_CHOICES:
        errors["choices"] = _("Give between 2 and %(n)d different choices, one per line.") % {
            "n": MAX_CHOICES
        }
    if any(len(c) > 200 for c in choices):
        errors["choices"] = _("Keep each choice under 200 characters.")
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "text": text,
        "required": bool(spec.get("required", True)),
        "choices": choices if kind in CHOICE_KINDS else [],
    }


def create_survey(
    *,
    title: str,
    questions: list[dict],
    owner: User | None = None,
    anonymous: bool = False,
    purpose: str = "",
    subject_ref: str = "",
    intro: str = "",
    auto_remind: bool = False,
) -> Survey:
    """A survey with its questions in the given order; every question is checked before anything is stored
    (errors are keyed ``questions.<index>.<field>``)."""
    title = title.strip()
    errors: dict[str, Any] = {}
    if not title:
        errors["title"] = _("Give the survey a title.")
    cleaned = []
    for index, spec in enumerate(questions):
        try:
            cleaned.append(clean_question(spec))
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors[f"questions.{index}.{name}"] = messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        survey = Survey.objects.create(
            title=title[:200],
            intro=intro.strip(),
            owner=owner,
            anonymous=anonymous,
            purpose=purpose,
            subject_ref=subject_ref,
            auto_remind=auto_remind,
        )
        Question.objects.bulk_create(
            [Question(survey=survey, order=index, **fields) for index, fields in enumerate(cleaned)]
        )
    return survey


def _has_answers(survey: Survey) -> bool:
    return survey.responses.exists()


def add_question(survey: Survey, spec: dict[str, Any]) -> Question:
    """A new question at the end. Once answers came in, the questions are fixed (results stay comparable)."""
    fields = clean_question(spec)
    if _has_answers(survey):
        raise ValidationError(_("People have answered already: the questions can no longer change."))
    last = survey.questions.aggregate(last=Max("order"))["last"]
    return Question.objects.create(survey=survey, order=0 if last is None else last + 1, **fields)


def update_question(question: Question, spec: dict[str, Any]) -> Question:
    fields = clean_question(spec)
    if _has_answers(question.survey):
        raise ValidationError(_("People have answered already: the questions can no longer change."))
    for name, value in fields.items():
        setattr(question, name, value)
    question.save()
    return question


def delete_question(question: Question) -> None:
    if _has_answers(question.survey):
        raise ValidationError(_("People have answered already: the questions can no longer change."))
    question.delete()


def move_question(question: Question, offset: int) -> list[Question]:
    """Move a question up (-1) or down (+1); the orders are renumbered 0..n-1. Returns the new order."""
    with transaction.atomic():
        questions = list(Survey.objects.select_for_update().get(pk=question.survey_id).questions.all())
        index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
        target = min(max(index + offset, 0), len(questions) - 1)
        questions.insert(target, questions.pop(index))
        for order, q in enumerate(questions):
            q.order = order
        Question.objects.bulk_update(questions, ["order"])
    return questions


def set_open(survey: Survey, is_open: bool) -> Survey:
    """Open or close a survey for answers (a closed survey's links show a clear page and take nothing)."""
    survey.is_open = is_open
    survey.save(update_fields=["is_open"])
    return survey
