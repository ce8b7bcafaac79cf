"""Outreach's background work: campaigns start and send at each channel's rate; scores and care moments
are computed by a daily-ish periodic chain (a task that re-enqueues itself; a newer chain retires older)."""

import logging
import uuid
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from dabai.outreach.models import Campaign, CampaignStatus, Chain
from dabai.outreach.services import campaigns, care, health

logger = logging.getLogger(__name__)
SEND_INTERVAL = timedelta(seconds=60)
PERIODIC_INTERVAL = timedelta(hours=1)


@task()
def start_campaign(campaign_id: int) -> int:
    """Due: resolve the segment into recipient rows, then send the first batch."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.SCHEDULED:
        return 0
    if campaign.scheduled_at and campaign.scheduled_at > timezone.now():
        start_campaign.using(run_after=campaign.scheduled_at).enqueue(campaign_id)  # moved later meanwhile
        return 0
    return campaigns.start(campaign)  # which queues the first batch


@task()
def send_campaign(campaign_id: int) -> dict:
    """One minute's worth per channel; the next batch a minute later, until nobody is waiting."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return {}
    sent = campaigns.send_batch(campaign)
    campaign.refresh_from_db(fields=["status"])
    if campaign.status == CampaignStatus.SENDING:
        send_campaign.using(run_after=timezone.now() + SEND_INTERVAL).enqueue(campaign_id)
    return sent


def start_periodic() -> str:
    chain = uuid.uuid4().hex
    Chain.objects.update_or_create(name="periodic", defaults={"chain": chain})
    periodic.enqueue(chain)
    return chain


@task()
def periodic(chain: str) -> dict:
    """Health scores for everyone, care moments due today, campaigns whose start task was lost."""
    if not Chain.objects.filter(name="periodic", chain=chain).update(ran_at=timezone.now()):
        return {"retired": True}
    done: dict = {}
    try:
        done["scores"] = health.compute_scores()
        done["care"] = care.run_due()
        for campaign in campaigns.due_campaigns(timezone.now()):
            if campaign.status == CampaignStatus.SCHEDULED:
                start_campaign.enqueue(campaign.pk)
            else:
                send_campaign.enqueue(campaign.pk)
    except Exception:
        logger.exception("outreach: periodic work failed")
    finally:
        periodic.using(run_after=timezone.now() + PERIODIC_INTERVAL).enqueue(chain)
    return done


@task()
def compute_scores() -> int:
    return health.compute_scores()
