"""Outreach: the at-risk list, campaigns and incidents are for supervisors; the unsubscribe link is public
(a signed token; a forged one is a 404, outreach/tests/test_campaigns.py)."""

from django.utils import timezone

from dabai.outreach.models import Campaign, Incident

from .roles import NOT_SUPERVISOR

PUBLIC = {"outreach:unsubscribe"}
OBJECT_URLS = {
    "outreach:reach_out": [("cust_hot", NOT_SUPERVISOR)],
    "outreach:campaign": [("campaign", NOT_SUPERVISOR)],
    "outreach:campaign_schedule": [("campaign", NOT_SUPERVISOR)],
    "outreach:campaign_cancel": [("campaign", NOT_SUPERVISOR)],
    "outreach:campaign_test": [("campaign", NOT_SUPERVISOR)],
    "outreach:incident": [("incident", NOT_SUPERVISOR)],
    "outreach:incident_notify": [("incident", NOT_SUPERVISOR)],
    "outreach:incident_update": [("incident", NOT_SUPERVISOR)],
}


def extend_world(world: dict, people: dict) -> None:
    world["campaign"] = Campaign.objects.create(
        name="提速", sms_text="{name}您好", segment={"tags": ["无人"]}
    )
    world["incident"] = Incident.objects.create(
        title="停电",
        service="宽带",
        message="抢修中",
        started_at=timezone.now(),
        declared_by=people["supervisor"],
    )
