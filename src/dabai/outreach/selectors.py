"""Reads of the outreach pages: the at-risk list with what reaching out changed, campaigns, incidents."""

from datetime import timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from dabai.conversations.models import Conversation, Insight
from dabai.outreach.factors import explain
from dabai.outreach.models import Campaign, HealthScore, Incident, IncidentLink, ReachOut

PAGE = 50
OUTCOME_DAYS = 30


def at_risk(min_score: int = 1) -> QuerySet[HealthScore]:
    return (
        HealthScore.objects.filter(score__gte=min_score)
        .select_related("customer")
        .order_by("-score", "-value", "customer_id")
    )


def explained(scores: list[HealthScore]) -> None:
    """Each factor's sentence, for the "why at risk" column."""
    for score in scores:
        score.reasons = [(explain(f), f.get("points", 0)) for f in score.factors]


def with_reach_outs(scores: list[HealthScore]) -> None:
    """The latest reach-out per customer and what it changed: contacts and cancellation talk in the 30 days
    after it against the 30 days before (a few grouped queries for the page)."""
    ids = [s.customer_id for s in scores]
    latest: dict[int, ReachOut] = {}
    for done in ReachOut.objects.filter(customer_id__in=ids).select_related("agent").order_by("at"):
        latest[done.customer_id] = done
    for score in scores:
        score.reach_out = latest.get(score.customer_id)
    outcomes(list(latest.values()))


def outcomes(reach_outs: list[ReachOut]) -> None:
    for done in reach_outs:
        before, after = done.at - timedelta(days=OUTCOME_DAYS), done.at + timedelta(days=OUTCOME_DAYS)
        contacts = Conversation.objects.filter(
            customer_id=done.customer_id, last_inbound_at__isnull=False
        ).exclude(pk=done.conversation_id)
        done.contacts_before = contacts.filter(created_at__gte=before, created_at__lt=done.at).count()
        done.contacts_after = contacts.filter(created_at__gte=done.at, created_at__lt=after).count()
        cancelling = Insight.objects.filter(
            message__conversation__customer_id=done.customer_id, intent="cancellation"
        )
        done.cancellations_before = cancelling.filter(
            message__sent_at__gte=before, message__sent_at__lt=done.at
        ).count()
        done.cancellations_after = cancelling.filter(
            message__sent_at__gte=done.at, message__sent_at__lt=after
        ).count()
        done.window_complete = timezone.now() >= after


def campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("created_by").annotate(n=Count("recipients"))


def incidents() -> QuerySet[Incident]:
    return Incident.objects.select_related("declared_by").annotate(n=Count("links"))


def incident_conversations(incident: Incident) -> QuerySet[IncidentLink]:
    return IncidentLink.objects.filter(incident=incident).select_related("conversation__customer")
