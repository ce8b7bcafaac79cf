"""Background work of the channels: delivering replies, polling, the sweep, imports.

The drain and the retry chain of inbound payloads are tasks of ``dabai.channels.drain``; they are named here
too, so tasks queued under their former paths still run.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from dabai.channels import conf, email, weibo
from dabai.channels.adapter import PermanentDeliveryError, adapter_for
from dabai.channels.drain import (  # noqa: F401 (drain_inbound, reprocess_payload: former task paths)
    drain_inbound,
    lost_retries,
    reprocess_payload,
    request_drain,
)
from dabai.channels.importer import run_import  # noqa: F401 (the former task path)
from dabai.channels.models import InboundPayload, MailboxState, PayloadStatus, PeriodicRun
from dabai.channels.services import forget_nonces, set_delivery_status
from dabai.conversations.models import DeliveryStatus, Direction, Insight, Message
from dabai.conversations.tasks import analyse_messages
from dabai.core.tasking import retry_later

logger = logging.getLogger(__name__)
SWEEP_BATCH = 1000
ANALYSIS_BATCH = 200


@task()
def deliver_reply(message_id: int, attempt: int = 0) -> str:
    """Send one agent reply through its conversation's channel adapter; back-off retries, then shown as
    failed."""
    message = Message.objects.select_related("conversation__customer").filter(pk=message_id).first()
    if message is None or message.delivery_status == DeliveryStatus.SENT:
        return "done"
    try:
        provider_id = adapter_for(message.channel).send(message).provider_id
    except PermanentDeliveryError as exc:
        set_delivery_status(message, DeliveryStatus.FAILED, error=str(exc), attempt=True)
        return "failed"
    except Exception as exc:
        logger.warning("delivering reply #%s failed (attempt %d): %s", message_id, attempt, exc)
        gave_up = not retry_later(deliver_reply, attempt, message_id)
        status = DeliveryStatus.FAILED if gave_up else DeliveryStatus.QUEUED
        set_delivery_status(message, status, error=f"{type(exc).__name__}: {exc}", attempt=True)
        return "failed" if gave_up else "retrying"
    set_delivery_status(message, DeliveryStatus.SENT, provider_id=provider_id, attempt=True)
    return "sent"


def schedule_next(task_: Task, name: str, seconds: int) -> None:
    """Re-enqueue a periodic task with ``run_after`` and note when it is due, so a dead chain shows."""
    next_run_at = timezone.now() + timedelta(seconds=seconds)
    PeriodicRun.objects.update_or_create(name=name, defaults={"next_run_at": next_run_at})
    task_.using(run_after=next_run_at).enqueue()


@task()
def poll_mailbox() -> int:
    """Read new mail from the configured IMAP mailbox, then schedule the next poll."""
    settings_ = conf.imap()
    count = 0
    if settings_["host"]:
        try:
            count = email.poll_imap(settings_)
        except Exception:
            logger.exception("IMAP poll failed")
    schedule_next(poll_mailbox, "poll_mailbox", settings_["interval"])
    return count


@task()
def poll_weibo() -> dict[str, str]:
    """One pass of the Weibo poller (mentions, comments, DMs) from the stored high-water marks."""
    marks = {}
    try:
        since = {
            s.name.removeprefix("weibo:"): str(s.last_uid)
            for s in MailboxState.objects.filter(name__startswith="weibo:")
        }
        marks = weibo.poll(weibo.api(), since)
        for kind, mark in marks.items():
            MailboxState.objects.update_or_create(
                name=f"weibo:{kind}", defaults={"last_uid": int(mark), "polled_at": timezone.now()}
            )
    except Exception:
        logger.exception("Weibo poll failed")
    schedule_next(poll_weibo, "poll_weibo", conf.get_int("DABAI_WEIBO_POLL_SECONDS", 60))
    return marks


@task()
def sweep_inbound() -> dict[str, int]:
    """Safety net for a worker killed mid-task: payloads never processed, retries lost, messages never
    analysed. Failed payloads with a pending retry are left to their chain."""
    grace = timezone.now() - timedelta(seconds=conf.sweep_grace_seconds())
    since = timezone.now() - timedelta(days=1)
    late = InboundPayload.objects.filter(received_at__lt=grace, received_at__gt=since)
    failed = lost_retries(grace, SWEEP_BATCH)
    forget_nonces(timezone.now() - timedelta(seconds=2 * conf.wechat_max_age_seconds()))
    waiting = late.filter(status=PayloadStatus.RECEIVED).exists()
    if waiting:
        request_drain()
    cutoff = _analysis_cutoff(grace, timedelta(seconds=conf.sweep_grace_seconds()))
    unread = list(
        Message.objects.filter(
            direction=Direction.INBOUND, insight__isnull=True, created_at__lt=cutoff, created_at__gt=since
        ).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for start in range(0, len(unread), ANALYSIS_BATCH):
        analyse_messages.enqueue(unread[start : start + ANALYSIS_BATCH])
    schedule_next(sweep_inbound, "sweep_inbound", conf.sweep_interval_seconds())
    return {"payloads": len(failed) + waiting, "messages": len(unread)}


def _analysis_cutoff(grace: datetime, grace_span: timedelta) -> datetime:
    """Unanalysed messages older than this were lost, not merely waiting in the queue.

    While the worker is busy (it stored an insight within the grace span), the queue is first in, first out:
    only messages well behind the newest analysed one were skipped, and under a backlog that frontier lags
    too, so queued work is never queued twice. Once the worker has gone quiet, anything older than the grace
    span and still unread was lost, including the last messages before a lull.
    """
    newest = Insight.objects.order_by("-pk").values_list("created_at", "message__created_at").first()
    if newest is None or newest[0] < grace:
        return grace
    return min(grace, newest[1] - grace_span)


PERIODIC = {"poll_mailbox": poll_mailbox, "poll_weibo": poll_weibo, "sweep_inbound": sweep_inbound}


def revive_periodic_tasks() -> list[str]:
    """Start each periodic chain that is not running (first start, or its worker was killed)."""
    started = []
    stale = timezone.now() - timedelta(seconds=conf.sweep_interval_seconds() * 2 + 30)
    for name, task_ in PERIODIC.items():
        if name == "poll_mailbox" and not conf.imap()["host"]:
            continue
        if name == "poll_weibo" and not conf.weibo()["access_token"]:
            continue
        with transaction.atomic():
            run = PeriodicRun.objects.select_for_update().filter(name=name).first()
            if run is not None and run.next_run_at > stale:
                continue
            PeriodicRun.objects.update_or_create(name=name, defaults={"next_run_at": timezone.now()})
        task_.enqueue()
        started.append(name)
    return started
