"""Background work of the channels: re-processing failed payloads, delivering replies, polling, imports."""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from dabai.channels.models import InboundPayload, PayloadStatus
from dabai.channels.services import PayloadError, PermanentDeliveryError, process_payload, set_delivery_status
from dabai.conversations.models import DeliveryStatus, Message
from dabai.core.tasking import retry_later

logger = logging.getLogger(__name__)


@task()
def reprocess_payload(payload_id: int, attempt: int = 0) -> str:
    """Parse a stored payload again after a failure; retried with back-off, never lost."""
    payload = InboundPayload.objects.filter(pk=payload_id).first()
    if payload is None or payload.status in {PayloadStatus.PROCESSED, PayloadStatus.REJECTED}:
        return "done"
    try:
        process_payload(payload)
    except PayloadError:
        return "rejected"
    except Exception:
        logger.exception("payload #%s failed again (attempt %d)", payload_id, attempt)
        if not retry_later(reprocess_payload, attempt, payload_id):
            logger.error("gave up on payload #%s; it stays stored as failed", payload_id)
        return "failed"
    return "ok"


@task()
def deliver_reply(message_id: int, attempt: int = 0) -> str:
    """Send one agent reply through its conversation's channel; back-off retries, then shown as failed."""
    from dabai.channels.outbound import send

    message = Message.objects.select_related("conversation__customer").filter(pk=message_id).first()
    if message is None or message.delivery_status == DeliveryStatus.SENT:
        return "done"
    try:
        provider_id = send(message)
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


@task()
def poll_mailbox(attempt: int = 0) -> int:
    """Read new mail from the configured IMAP mailbox, then schedule the next poll."""
    from dabai.channels import conf
    from dabai.channels.email import poll_imap

    settings_ = conf.imap()
    count = 0
    if settings_["host"]:
        try:
            count = poll_imap(settings_)
        except Exception:
            logger.exception("IMAP poll failed")
    poll_mailbox.using(run_after=timezone.now() + timedelta(seconds=settings_["interval"])).enqueue()
    return count


@task()
def run_import(job_id: int) -> str:
    """Import the next chunk of a bulk import, then queue the rest: a crash resumes at ``next_line``."""
    from dabai.channels.importer import import_chunk

    more = import_chunk(job_id)
    if more:
        run_import.enqueue(job_id)
    return "more" if more else "done"
