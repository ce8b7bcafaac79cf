"""State changes of surveys: build a questionnaire, invite people, send and remind, take the answers once.

Other apps (programmes, quality) call these functions; they never write survey rows themselves.

- ``create_survey`` / ``add_question`` / ``update_question`` / ``move_question`` / ``delete_question`` /
  ``set_open``: the builder.
- ``invite`` → ``send_invitation`` (email by task after commit) → ``send_reminders`` (two at most, never after
  an answer or expiry).
- ``submit_response``: validates every answer first (errors per question, nothing half-written), then stores
  them in one transaction; the invitation's token works once.
"""

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity, Customer
from dabai.surveys import conf
from dabai.surveys.models import CHOICE_KINDS, Answer, Invitation, Question, QuestionKind, Response, Survey
from dabai.surveys.results import SurveyResults, results, write_csv  # noqa: F401 (the services' API)

logger = logging.getLogger(__name__)

TOKEN_SALT = "dabai.surveys.invitation"
MAX_TEXT = 5000
MAX_CHOICES = 20
SCALES = {QuestionKind.RATING: (1, 5), QuestionKind.NPS: (0, 10)}


class InvitationClosed(Exception):
    """The invitation cannot take an answer: ``reason`` is "answered", "expired" or "closed"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------------------------------------ builder


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


# ------------------------------------------------------------------------------------------- invitations


def invite(
    survey: Survey,
    *,
    email: str = "",
    name: str = "",
    user: User | None = None,
    customer: Customer | None = None,
    expires_at: datetime | None = None,
) -> Invitation:
    """An invitation for one person: a staff user, a customer, or an outside email address (with a name).

    Inviting the same person twice returns their existing invitation (one person, one answer).
    """
    email = email.strip().lower()
    if not (email or user or customer):
        raise ValidationError(_("Say whom to invite: a user, a customer or an email address."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            message = _("%(email)s is not an email address.") % {"email": email}
            raise ValidationError({"email": message}) from None
    same = survey.invitations.all()
    if user is not None:
        same = same.filter(user=user)
    elif customer is not None:
        same = same.filter(customer=customer)
    else:
        same = same.filter(email=email, user__isnull=True, customer__isnull=True)
    existing = same.first()
    if existing is not None:
        return existing
    return Invitation.objects.create(
        survey=survey,
        user=user,
        customer=customer,
        email=email,
        name=name.strip()[:100],
        nonce=secrets.token_urlsafe(16),
        expires_at=expires_at or timezone.now() + timedelta(days=conf.invitation_valid_days()),
    )


def invitation_token(invitation: Invitation) -> str:
    """Signed (the secret key) and unguessable (a random nonce stored with the invitation)."""
    return signing.dumps([invitation.pk, invitation.nonce], salt=TOKEN_SALT)


def invitation_path(invitation: Invitation) -> str:
    return reverse("surveys:answer", kwargs={"token": invitation_token(invitation)})


def invitation_link(invitation: Invitation) -> str:
    return conf.public_url() + invitation_path(invitation)


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link points at, or None for a forged, mangled or replaced token."""
    try:
        pk, nonce = signing.loads(token, salt=TOKEN_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(pk, int) or not isinstance(nonce, str):
        return None
    invitation = Invitation.objects.select_related("survey").filter(pk=pk).first()
    if invitation is None or not secrets.compare_digest(invitation.nonce, nonce):
        return None
    return invitation


def closed_reason(invitation: Invitation, now: datetime | None = None) -> str:
    """Why this invitation takes no answer ("" when it does)."""
    now = now or timezone.now()
    if invitation.answered_at is not None:
        return "answered"
    if invitation.expires_at <= now:
        return "expired"
    if not invitation.survey.is_open:
        return "closed"
    return ""


def recipient(invitation: Invitation) -> str:
    """The email address an invitation goes to: its own, the user's, or the customer's email handle."""
    if invitation.email:
        return invitation.email
    if invitation.user_id and invitation.user.email:
        return invitation.user.email
    if invitation.customer_id:
        handles = ChannelIdentity.objects.filter(customer_id=invitation.customer_id, channel=Channel.EMAIL)
        handle = handles.order_by("-created_at").first()
        if handle is not None:
            return handle.external_id
    return ""


def send_invitation(invitation: Invitation, *, subject: str, body: str) -> Invitation:
    """Email the invitation (by task, after commit, with retries). ``body`` may place the link with
    ``{link}``; otherwise the link is added at the end. Reminders repeat this subject and body."""
    from dabai.surveys import tasks

    reason = closed_reason(invitation)
    if reason:
        raise InvitationClosed(reason)
    if not recipient(invitation):
        raise ValidationError(_("%(who)s has no email address.") % {"who": invitation.display_name})
    invitation.subject, invitation.body = subject.strip()[:200], body
    invitation.save(update_fields=["subject", "body"])
    pk = invitation.pk
    transaction.on_commit(lambda: tasks.deliver_invitation.enqueue(pk, "invitation"))
    return invitation


def deliver(invitation: Invitation, kind: str) -> bool:
    """Send one invitation or reminder email now (called by the task). False when it may no longer go."""
    if closed_reason(invitation) or not recipient(invitation):
        return False
    link = invitation_link(invitation)
    body = invitation.body
    body = body.replace("{link}", link) if "{link}" in body else f"{body}\n\n{link}"
    subject = invitation.subject
    if kind == "reminder":
        with translation.override("zh-hans"):
            subject = _("Reminder: %(subject)s") % {"subject": subject}
    EmailMessage(subject=subject, body=body, to=[recipient(invitation)]).send()
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(sent_at=now)
    Invitation.objects.filter(pk=invitation.pk).update(last_sent_at=now)
    return True


def send_reminders(survey: Survey, *, min_gap: timedelta | None = None) -> int:
    """Remind everyone invited who has not answered: at most two reminders per invitation, never after an
    answer, an expiry or the survey's closing. ``min_gap`` (none by default) skips people emailed more
    recently than that. Returns how many reminders were queued."""
    from dabai.surveys import tasks

    now = timezone.now()
    if not survey.is_open:
        return 0
    with transaction.atomic():
        due = Invitation.objects.select_for_update().filter(
            survey=survey,
            sent_at__isnull=False,
            answered_at__isnull=True,
            expires_at__gt=now,
            reminders_sent__lt=conf.MAX_REMINDERS,
        )
        if min_gap:
            due = due.filter(last_sent_at__lte=now - min_gap)
        ids = list(due.values_list("pk", flat=True))
        Invitation.objects.filter(pk__in=ids).update(reminders_sent=F("reminders_sent") + 1)
        for pk in ids:
            transaction.on_commit(lambda pk=pk: tasks.deliver_invitation.enqueue(pk, "reminder"))
    return len(ids)


# ---------------------------------------------------------------------------------------------- answers


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
