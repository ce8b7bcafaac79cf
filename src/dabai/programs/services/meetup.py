"""A meet-up's live parts: questions attendees ask and upvote, and the prize draw (有奖问答). The Q&A pages
(attendees' and staff's) refresh by htmx polling every few seconds.

The draw, like the selection, is a pure function of the seed and the checked-in attendees (in the order they
registered): the seed and everyone's number are stored and shown, so it can be re-checked.
"""

import random
import secrets

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.filter import mask
from dabai.knowledge.models import Article, ArticleStatus
from dabai.knowledge.services import save_article
from dabai.programs.models import Question, QuestionVote, Registration, RegStatus, Session

MAX_QUESTIONS_PER_PERSON = 5


class QuestionError(ValueError):
    pass


def _may_take_part(registration: Registration) -> bool:
    return registration.status in {RegStatus.CONFIRMED, RegStatus.ATTENDED}


def ask(registration: Registration, body: str) -> Question:
    body = " ".join(body.split())
    if not body:
        raise QuestionError(_("the question is empty"))
    if not _may_take_part(registration):
        raise QuestionError(_("only confirmed attendees can ask"))
    if Question.objects.filter(registration=registration).count() >= MAX_QUESTIONS_PER_PERSON:
        raise QuestionError(_("you have asked the most questions one person may ask"))
    question = Question.objects.create(
        session_id=registration.session_id, registration=registration, body=body[:500]
    )
    return question


def upvote(registration: Registration, question: Question) -> bool:
    """One vote per person and question; False if they had voted already (or it is another session's)."""
    if question.session_id != registration.session_id or not _may_take_part(registration):
        return False
    try:
        with transaction.atomic():
            QuestionVote.objects.create(question=question, registration=registration)
            Question.objects.filter(pk=question.pk).update(votes=F("votes") + 1)
    except IntegrityError:
        return False
    return True


def mark_answered(question: Question, *, actor: User) -> None:
    Question.objects.filter(pk=question.pk, answered_at__isnull=True).update(answered_at=timezone.now())
    record_audit(actor, "programs.question_answered", question)


class EmptyAnswer(ValueError):
    """A help-centre draft needs the answer that was given in the room."""


def draft_article_from_question(question: Question, *, answer: str, actor: User) -> Article:
    """A meet-up question and the answer given in the room become a help-centre draft (never published here:
    an editor reviews it in the knowledge base). The asker's words are masked, since attendees may have
    typed a phone number or an order into their question; the question counts as answered."""
    answer = answer.strip()
    if not answer:
        raise EmptyAnswer(_("Write the answer the customers heard before saving it as a draft."))
    programme = question.session.programme
    article = save_article(
        actor=actor,
        title=mask(question.body)[:200],
        body=answer,
        summary=(_("From the customer meet-up “%(name)s”") % {"name": programme.name})[:300],
        status=ArticleStatus.DRAFT,
        tags=[_("Customer meet-up")],
    )
    mark_answered(question, actor=actor)
    record_audit(actor, "programs.question_drafted", question, {"article": article.pk})
    return article


def plan_draw(attendees: list[Registration], seed: int, winners: int) -> list[dict]:
    rng = random.Random(seed)
    numbers = {r.pk: rng.random() for r in sorted(attendees, key=lambda r: r.pk)}
    ordered = sorted(attendees, key=lambda r: (numbers[r.pk], r.pk))
    return [
        {
            "registration_id": r.pk,
            "name": r.name,
            "lottery": round(numbers[r.pk], 6),
            "rank": rank,
            "winner": rank <= winners,
        }
        for rank, r in enumerate(ordered, start=1)
    ]


def prize_draw(session: Session, *, winners: int, actor: User, seed: int | None = None) -> list[dict]:
    """Draw ``winners`` among the checked-in attendees; stored with its seed and shown."""
    if winners < 1:
        raise ValueError(_("draw at least one winner"))
    seed = secrets.randbelow(10**9) if seed is None else int(seed)
    attendees = list(Registration.objects.filter(session=session, status=RegStatus.ATTENDED))
    plan = plan_draw(attendees, seed, winners)
    Session.objects.filter(pk=session.pk).update(draw_seed=seed, draw_log=plan)
    record_audit(actor, "programs.prize_draw", session, {"seed": seed, "winners": winners})
    session.refresh_from_db()
    return plan
