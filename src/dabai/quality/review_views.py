"""Review pages: cycles and their samples, the short review form, calibration and agreement, agents' reviews.

Thin by design: permissions from ``dabai.quality.policy``, changes through ``dabai.quality.reviews``, reads
from selectors; every change and every supervisor's look at an agent's reviews goes to the audit log.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.models import Role, User
from dabai.accounts.permissions import is_supervisor
from dabai.accounts.services import record_audit
from dabai.conversations.models import Direction, Message
from dabai.quality import reviews, selectors
from dabai.quality.forms import CalibrationForm, CycleForm, RemoveItemForm, ReviewQuestionForm, review_form
from dabai.quality.models import (
    CalibrationItem,
    CalibrationRound,
    Review,
    ReviewCycle,
    ReviewQuestion,
    SampleItem,
)
from dabai.quality.policy import require_reviewer, require_sampler


def _reviewers():
    return User.objects.filter(is_active=True).filter(
        Q(role__in=[Role.ADMIN, Role.SUPERVISOR]) | Q(role=Role.AGENT, agent_profile__can_view_all_teams=True)
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Review cycles, calibration rounds, and (supervisors) a form to draw a new sample."""
    require_reviewer(request.user)
    today = timezone.localdate()
    form = CycleForm(
        request.POST or None,
        initial={"period_start": today - timedelta(days=6), "period_end": today},
    )
    if request.method == "POST":
        require_sampler(request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                cycle = reviews.create_cycle(
                    name=data["name"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    team=data["team"],
                    per_agent_per_week=data["per_agent_per_week"],
                    random_share=data["random_share"],
                    seed=data["seed"],
                    created_by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                record_audit(
                    request.user, "quality.cycle_create", cycle, {"seed": cycle.seed}, request=request
                )
                return redirect("quality:cycle", pk=cycle.pk)
    context = {
        "form": form,
        "cycles": selectors.cycles(),
        "calibrations": CalibrationRound.objects.prefetch_related("reviewers")[:20],
        "agents": selectors.reviewed_agents() if is_supervisor(request.user) else [],
        "questions": reviews.active_questions(),
        "may_sample": is_supervisor(request.user),
    }
    return render(request, "quality/reviews/home.html", context, status=400 if form.errors else 200)


@login_required
def questions(request: HttpRequest) -> HttpResponse:
    """The centre's outcome questions (at most five in use)."""
    require_sampler(request.user)
    form = ReviewQuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question = reviews.add_question(form.cleaned_data["text"], form.cleaned_data["hint"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            record_audit(request.user, "quality.question_add", question, request=request)
            return redirect("quality:review_questions")
    context = {"form": form, "questions": ReviewQuestion.objects.all(), "max": reviews.MAX_QUESTIONS}
    return render(request, "quality/reviews/questions.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def question_retire(request: HttpRequest, pk: int) -> HttpResponse:
    require_sampler(request.user)
    question = get_object_or_404(ReviewQuestion, pk=pk)
    reviews.retire_question(question)
    record_audit(request.user, "quality.question_retire", question, request=request)
    return redirect("quality:review_questions")


@login_required
def cycle(request: HttpRequest, pk: int) -> HttpResponse:
    """One cycle's sample per agent, with why each conversation was picked and the seed that drew it."""
    require_reviewer(request.user)
    found = get_object_or_404(ReviewCycle.objects.select_related("team", "created_by"), pk=pk)
    items = selectors.cycle_items(found)
    by_agent: dict[User, list[SampleItem]] = {}
    for item in items:
        by_agent.setdefault(item.agent, []).append(item)
    calibration_form = CalibrationForm(
        reviewers=_reviewers(), items=found.items.filter(removed_at__isnull=True)
    )
    context = {
        "cycle": found,
        "by_agent": by_agent,
        "calibration_form": calibration_form,
        "may_sample": is_supervisor(request.user),
        "remove_form": RemoveItemForm(),
    }
    return render(request, "quality/reviews/cycle.html", context)


@login_required
@require_POST
def item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    require_sampler(request.user)
    item = get_object_or_404(SampleItem, pk=pk)
    form = RemoveItemForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say why this conversation leaves the sample."))
        reviews.remove_item(item, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        record_audit(
            request.user,
            "quality.sample_remove",
            item,
            {"conversation": item.conversation_id, "reason": item.removal_reason},
            request=request,
        )
    return redirect("quality:cycle", pk=item.cycle_id)


def _transcript(conversation_id: int) -> list[Message]:
    return list(
        Message.objects.filter(conversation_id=conversation_id)
        .exclude(direction=Direction.NOTE)
        .select_related("author")
        .order_by("sent_at", "id")[:200]
    )


def _answers_from(form, questions) -> dict:
    data = form.cleaned_data
    return {q.pk: (data.get(f"q{q.pk}") or "", data.get(f"n{q.pk}") or "") for q in questions}


def _initial(review: Review | None) -> dict:
    if review is None:
        return {}
    initial = {"coaching_note": review.coaching_note}
    for answer in review.answers.all():
        initial[f"q{answer.question_id}"] = answer.verdict
        initial[f"n{answer.question_id}"] = answer.note
    return initial


def _apply_errors(form, error: ValidationError) -> None:
    for name, problems in (
        error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    ).items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


def _filled_review(
    request: HttpRequest, existing: Review | None, save: Callable[[list, str], Review]
) -> tuple[Any, list, Review | None]:
    """The review form (the reviewer's earlier answers filled in) and, on a valid POST, the saved review;
    the service's refusals become the form's errors."""
    asked = reviews.active_questions()
    form = review_form(asked, request.POST or None, initial=_initial(existing))
    if request.method == "POST" and form.is_valid():
        try:
            return form, asked, save(_answers_from(form, asked), form.cleaned_data["coaching_note"])
        except ValidationError as error:
            _apply_errors(form, error)
    return form, asked, None


def _review_page(
    request: HttpRequest,
    template: str,
    form,
    asked: list,
    existing: Review | None,
    conversation_id: int,
    **more,
) -> HttpResponse:
    context = {
        "existing": existing,
        "form": form,
        "questions": asked,
        "transcript": _transcript(conversation_id),
        **more,
    }
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Review one sampled conversation: the transcript, the centre's questions, a coaching note."""
    require_reviewer(request.user)
    item = get_object_or_404(SampleItem.objects.select_related("cycle", "agent", "conversation"), pk=pk)
    existing = Review.objects.filter(item=item).prefetch_related("answers").first()
    form, asked, done = _filled_review(
        request,
        existing,
        lambda answers, note: reviews.review_item(
            item, reviewer=request.user, answers=answers, coaching_note=note
        ),
    )
    if done is not None:
        record_audit(
            request.user, "quality.review", done, {"conversation": item.conversation_id}, request=request
        )
        messages.success(request, _("Review saved; %(agent)s can read it now.") % {"agent": item.agent})
        return redirect("quality:cycle", pk=item.cycle_id)
    return _review_page(
        request, "quality/reviews/review.html", form, asked, existing, item.conversation_id, item=item
    )


@login_required
@require_POST
def calibration_create(request: HttpRequest, pk: int) -> HttpResponse:
    require_sampler(request.user)
    found = get_object_or_404(ReviewCycle, pk=pk)
    form = CalibrationForm(
        request.POST, reviewers=_reviewers(), items=found.items.filter(removed_at__isnull=True)
    )
    if not form.is_valid():
        messages.error(request, _("Pick at least two reviewers and one conversation."))
        return redirect("quality:cycle", pk=found.pk)
    try:
        created = reviews.create_calibration(
            name=form.cleaned_data["name"],
            conversations=[i.conversation for i in form.cleaned_data["items"]],
            reviewers=list(form.cleaned_data["reviewers"]),
            created_by=request.user,
            cycle=found,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("quality:cycle", pk=found.pk)
    record_audit(request.user, "quality.calibration_create", created, request=request)
    return redirect("quality:calibration", pk=created.pk)


def _calibration_reader(request: HttpRequest, found: CalibrationRound) -> bool:
    """Supervisors see the agreement; the round's reviewers see their own to-do list only."""
    require_reviewer(request.user)
    if is_supervisor(request.user):
        return True
    if not found.reviewers.filter(pk=request.user.pk).exists():
        raise PermissionDenied
    return False


@login_required
def calibration(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(CalibrationRound, pk=pk)
    sees_agreement = _calibration_reader(request, found)
    reviewers, asked, figures, rows = selectors.calibration(found) if sees_agreement else ([], [], [], [])
    done = set(
        Review.objects.filter(calibration_item__round=found, reviewer=request.user).values_list(
            "calibration_item_id", flat=True
        )
    )
    context = {
        "round": found,
        "sees_agreement": sees_agreement,
        "reviewers": reviewers,
        "questions": asked,
        "figures": figures,
        "rows": rows,
        "items": found.items.select_related("conversation"),
        "done": done,
        "is_reviewer": found.reviewers.filter(pk=request.user.pk).exists(),
    }
    if sees_agreement:
        record_audit(request.user, "quality.calibration_read", found, request=request)
    return render(request, "quality/reviews/calibration.html", context)


@login_required
def calibration_review(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(CalibrationItem.objects.select_related("round", "conversation"), pk=pk)
    require_reviewer(request.user)
    if not item.round.reviewers.filter(pk=request.user.pk).exists():
        raise PermissionDenied
    existing = (
        Review.objects.filter(calibration_item=item, reviewer=request.user)
        .prefetch_related("answers")
        .first()
    )
    form, asked, done = _filled_review(
        request,
        existing,
        lambda answers, note: reviews.review_calibration_item(
            item, reviewer=request.user, answers=answers, coaching_note=note
        ),
    )
    if done is not None:
        record_audit(request.user, "quality.calibration_review", done, request=request)
        return redirect("quality:calibration", pk=item.round_id)
    return _review_page(
        request,
        "quality/reviews/calibration_review.html",
        form,
        asked,
        existing,
        item.conversation_id,
        calibration_item=item,
    )


@login_required
def agent_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervisor reads one agent's reviews and coaching notes (audited), as the agent sees them."""
    require_sampler(request.user)
    agent = get_object_or_404(User, pk=pk, role__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN])
    record_audit(request.user, "quality.reviews_read", agent, request=request)
    return render(
        request, "quality/reviews/agent.html", {"agent": agent, "reviews": selectors.reviews_of(agent)}
    )
