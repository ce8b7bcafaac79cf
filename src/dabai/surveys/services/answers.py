"""Answers: every answer checked against its question before anything is stored, then stored once."""

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.surveys.models import Answer, Invitation, Question, QuestionKind, Response, Survey
from dabai.surveys.services.invitations import InvitationClosed, closed_reason

logger = logging.getLogger(__name__)

MAX_TEXT = 5000
SCALES = {QuestionKind.RATING: (1, 5), QuestionKind.NPS: (0, 10)}


def _key(key: Any) -> int | None:
    if isinstance(key, Question):
        return key.pk
    text = str(key)
    text = text[1:] if text.startswith("q") else text
    return int(text) if text.isdigit() else None


def _empty(value: Any) -> bool:
    """No answer: nothing, blank text, or an empty list of choices."""
    if value is None:
        return True
    values = value if isinstance(value, list | tuple) else [value]
    return not any(str(v).strip() for v in values)


def _clean_answer(question: Question, value: Any) -> dict[str, Any]:
    """One answer's stored fields, or a ValueError whose text is shown next to the question."""
    if question.kind in SCALES:
        low, high = SCALES[question.kind]
        message = _("Choose a number from %(low)d to %(high)d.") % {"low": low, "high": high}
        if isinstance(value, list | tuple) and len(value) == 1:
            value = value[0]
        if isinstance(value, bool) or not str(value).strip().isdigit():
            raise ValueError(message)
        number = int(str(value).strip())
        if not low <= number <= high:
            raise ValueError(message)
        return {"number": number}
    if question.kind == QuestionKind.SINGLE:
        if isinstance(value, list | tuple):
            if len(value) != 1:
                raise ValueError(_("Choose one answer."))
            value = value[0]
        if str(value) not in question.choices:
            raise ValueError(_("Choose one of the answers offered."))
        return {"choices": [str(value)]}
    if question.kind == QuestionKind.MULTIPLE:
        values = [value] if isinstance(value, str) else list(value)
        picked = list(dict.fromkeys(str(v) for v in values if str(v).strip()))
        if any(v not in question.choices for v in picked):
            raise ValueError(_("Choose only among the answers offered."))
        return {"choices": [c for c in question.choices if c in picked]}
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise ValueError(_("Keep the answer under %(n)d characters.") % {"n": MAX_TEXT})
    return {"text": text}


def validate_answers(survey: Survey, answers: dict) -> list[tuple[Question, dict[str, Any]]]:
    """Every answer checked against its question; a ValidationError keyed by each question's field name
    (``q<pk>``) lists every problem at once."""
    questions = list(survey.questions.all())
    by_pk = {q.pk: q for q in questions}
    given: dict[int, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in answers.items():
        pk = _key(key)
        if pk not in by_pk:
            message = _("%(key)s is not a question of this survey.") % {"key": key}
            errors.setdefault("__all__", []).append(message)
            continue
        given[pk] = value
    cleaned = []
    for question in questions:
        value = given.get(question.pk)
        if _empty(value):
            if question.required:
                errors[question.field_name] = [_("This question needs an answer.")]
            continue
        try:
            cleaned.append((question, _clean_answer(question, value)))
        except ValueError as error:
            errors[question.field_name] = [str(error)]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _sentiments(texts: list[str]) -> list[str]:
    """The filter's sentiment of each free text ("" if the filter cannot run: the answer still counts)."""
    if not texts:
        return []
    try:
        from dabai.filter import analyse_many

        return [a.sentiment.get("label", "") for a in analyse_many(texts)]
    except Exception:
        logger.exception("the filter could not read %d survey answers", len(texts))
        return ["" for _ in texts]


def _start_of_day(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def submit_response(invitation: Invitation, answers: dict) -> Response:
    """Store one person's answers, once. ``answers`` maps a question (its pk, ``"q<pk>"`` or the Question)
    to a number (rating 1–5, NPS 0–10), a choice, a list of choices or a text.

    Raises ValidationError (per question, nothing stored) or InvitationClosed (answered, expired, closed).
    Anonymous surveys store the response without its invitation and with the day only.
    """
    survey = invitation.survey
    cleaned = validate_answers(survey, answers)
    texts = [fields["text"] for _q, fields in cleaned if fields.get("text")]
    moods = iter(_sentiments(texts))
    now = timezone.now()
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().select_related("survey").get(pk=invitation.pk)
        reason = closed_reason(locked, now)
        if reason:
            raise InvitationClosed(reason)
        response = Response.objects.create(
            survey=survey,
            invitation=None if survey.anonymous else locked,
            submitted_on=timezone.localdate(now),
            submitted_at=None if survey.anonymous else now,
        )
        Answer.objects.bulk_create(
            [
                Answer(
                    response=response,
                    question=question,
                    sentiment=next(moods) if fields.get("text") else "",
                    **fields,
                )
                for question, fields in cleaned
            ]
        )
        # An anonymous answer's invitation keeps only the day too, so the two cannot be matched by time.
        locked.answered_at = _start_of_day(now) if survey.anonymous else now
        locked.save(update_fields=["answered_at"])
    invitation.answered_at = locked.answered_at
    return response
