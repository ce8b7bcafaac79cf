"""Reads of surveys: the builder's list and a survey's invitations, in a fixed number of queries."""

from django.db.models import Count, Q, QuerySet

from dabai.surveys.models import Invitation, Survey


def survey_list() -> QuerySet[Survey]:
    """Every survey with its counts (questions, invited, answered), newest first."""
    return Survey.objects.select_related("owner").annotate(
        question_count=Count("questions", distinct=True),
        invited=Count("invitations", distinct=True),
        answered=Count("invitations", filter=Q(invitations__answered_at__isnull=False), distinct=True),
    )


def surveys_for(purpose: str, subject_ref: str = "") -> QuerySet[Survey]:
    """The surveys another app created for one of its things (e.g. ``("programs.session", "session:12")``)."""
    found = Survey.objects.filter(purpose=purpose)
    return found.filter(subject_ref=subject_ref) if subject_ref else found


def invitations(survey: Survey, limit: int = 500) -> list[Invitation]:
    return list(survey.invitations.select_related("user", "customer").order_by("-id")[:limit])
