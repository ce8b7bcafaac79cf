"""State changes of webhooks: endpoints, emitting events, and each delivery's claim → attempt → settle.

Emitting is set-wise and happens in the transaction of the change it announces (a rollback takes the event
with it); the attempts are tasks enqueued after commit. A delivery is *claimed* (its attempt counted and a
lease taken, committed) before the HTTP request and *settled* after it, so a worker killed in between leaves a
delivery whose lease runs out and the sweep sends it again, with the same ``webhook-id``. Per endpoint, the
events of one conversation go out in their order: a delivery waits while an earlier one of its conversation
is pending (retries included), and the earlier one releases it when it settles.
"""

import json
import logging
import random
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dabai.accounts.models import Role, User
from dabai.accounts.services import record_audit
from dabai.webhooks import signing
from dabai.webhooks.guard import UnsafeUrl, check_url
from dabai.webhooks.models import (
    Attempt,
    ConversationSequence,
    Delivery,
    DeliveryStatus,
    Endpoint,
    Event,
    EventType,
    WebhookPolicy,
)
from dabai.webhooks.sending import Outcome

logger = logging.getLogger(__name__)

# Seconds before each retry (the n-th entry after the n-th failed attempt), about three days in all; each is
# stretched or shrunk by up to a fifth at random so failed deliveries do not retry in lockstep.
RETRY_DELAYS = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 43200, 43200, 43200, 43200)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
LEASE = timedelta(seconds=60)
ROTATION_OVERLAP = timedelta(hours=24)


class InvalidEndpoint(ValueError):
    """An endpoint that cannot be saved as asked (unsafe URL, unknown event)."""


def policy() -> WebhookPolicy:
    return WebhookPolicy.objects.order_by("pk").first() or WebhookPolicy.objects.create()


def set_policy(*, allow_private_addresses: bool, actor: User | None) -> WebhookPolicy:
    current = policy()
    current.allow_private_addresses = allow_private_addresses
    current.save(update_fields=["allow_private_addresses"])
    record_audit(actor, "webhooks.policy", current, {"allow_private_addresses": allow_private_addresses})
    return current


# ----------------------------------------------------------------------------------------------- endpoints


def _checked(url: str, events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EventType.values))
    if unknown:
        raise InvalidEndpoint(f"unknown events: {', '.join(unknown)}")
    try:
        check_url(url, allow_private=policy().allow_private_addresses)
    except UnsafeUrl as refused:
        raise InvalidEndpoint(str(refused)) from None
    return sorted(set(events))


def create_endpoint(name: str, url: str, events: list[str], *, actor: User | None) -> Endpoint:
    endpoint = Endpoint.objects.create(
        name=name.strip()[:100] or url[:100],
        url=url,
        events=_checked(url, events),
        secret=signing.new_secret(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    record_audit(actor, "webhooks.endpoint_created", endpoint, {"url": url, "events": endpoint.events})
    return endpoint


def update_endpoint(
    endpoint: Endpoint,
    *,
    actor: User | None,
    name: str | None = None,
    url: str | None = None,
    events: list[str] | None = None,
    is_active: bool | None = None,
) -> Endpoint:
    new_url = url if url is not None else endpoint.url
    new_events = events if events is not None else endpoint.events
    endpoint.events = _checked(new_url, new_events) if (url is not None or events is not None) else new_events
    endpoint.url = new_url
    if name is not None:
        endpoint.name = name.strip()[:100] or endpoint.name
    endpoint.save(update_fields=["name", "url", "events"])
    if is_active is True and not endpoint.is_active:
        enable_endpoint(endpoint, actor=actor)
    elif is_active is False and endpoint.is_active:
        disable_endpoint(endpoint, reason="disabled by hand", actor=actor, notify=False)
    record_audit(
        actor, "webhooks.endpoint_changed", endpoint, {"url": endpoint.url, "events": endpoint.events}
    )
    return endpoint


def rotate_secret(endpoint: Endpoint, *, actor: User | None) -> Endpoint:
    """A new signing secret; the old one keeps signing beside it for a day so receivers can switch over."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + ROTATION_OVERLAP
    endpoint.secret = signing.new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    record_audit(actor, "webhooks.secret_rotated", endpoint, {})
    return endpoint


def live_secrets(endpoint: Endpoint, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    previous = endpoint.previous_secret if (endpoint.previous_secret_until or now) > now else ""
    return [s for s in (endpoint.secret, previous) if s]


def enable_endpoint(endpoint: Endpoint, *, actor: User | None) -> None:
    Endpoint.objects.filter(pk=endpoint.pk).update(
        is_active=True, disabled_at=None, disabled_reason="", failing_since=None
    )
    endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = True, None, ""
    record_audit(actor, "webhooks.endpoint_enabled", endpoint, {})


def disable_endpoint(
    endpoint: Endpoint, *, reason: str, actor: User | None = None, notify: bool = True
) -> None:
    """Stop sending to an endpoint: its pending deliveries fail (replayable), admins are told by email."""
    now = timezone.now()
    with transaction.atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(
            is_active=False, disabled_at=now, disabled_reason=reason[:200]
        )
        endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason[:200]
        Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            leased_until=None,
            last_error="endpoint disabled",
        )
        record_audit(actor, "webhooks.endpoint_disabled", endpoint, {"reason": reason})
    logger.warning("webhook endpoint %s (%s) disabled: %s", endpoint.pk, endpoint.url, reason)
    if notify:
        transaction.on_commit(lambda: _tell_admins(endpoint, reason))


def _tell_admins(endpoint: Endpoint, reason: str) -> None:
    addresses = list(
        User.objects.filter(role=Role.ADMIN, is_active=True).exclude(email="").values_list("email", flat=True)
    )
    if not addresses:
        return
    send_mail(
        f"[dabai] Webhook endpoint disabled: {endpoint.name}",
        f"The webhook endpoint “{endpoint.name}” ({endpoint.url}) was disabled: {reason}.\n\n"
        "Fix the receiver, enable the endpoint again in the admin and replay its failed deliveries.",
        settings.DEFAULT_FROM_EMAIL,
        addresses,
        fail_silently=True,
    )


# -------------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Announcement:
    type: str
    data: dict[str, Any]
    conversation_id: int | None = None


def emit(announcements: Iterable[Announcement]) -> list[Event]:
    """Store the events some active endpoint wants, numbered per conversation, with their deliveries; queue
    the deliveries after commit. A few queries per batch; one (the endpoints) when nobody listens."""
    announcements = list(announcements)
    if not announcements:
        return []
    endpoints = list(Endpoint.objects.filter(is_active=True).only("id", "events"))
    wanted = [a for a in announcements if any(e.wants(a.type) for e in endpoints)]
    if not wanted:
        return []
    now = timezone.now()
    with transaction.atomic():
        numbers = _numbers(a.conversation_id for a in wanted if a.conversation_id is not None)
        events = []
        for a in wanted:
            sequence = next(numbers[a.conversation_id]) if a.conversation_id is not None else None
            data = {**a.data, "conversation_id": a.conversation_id, "sequence": sequence}
            if a.conversation_id is None:
                data = {k: v for k, v in data.items() if k not in {"conversation_id", "sequence"}}
            events.append(
                Event(
                    uid=f"msg_{uuid.uuid4().hex}",
                    type=a.type,
                    conversation_id=a.conversation_id,
                    sequence=sequence,
                    payload={"type": a.type, "timestamp": now.isoformat(), "data": data},
                )
            )
        Event.objects.bulk_create(events)
        deliveries = Delivery.objects.bulk_create(
            [
                Delivery(
                    event=event,
                    endpoint_id=endpoint.pk,
                    conversation_id=event.conversation_id,
                    sequence=event.sequence,
                    next_attempt_at=now,
                )
                for event in events
                for endpoint in endpoints
                if endpoint.wants(event.type)
            ]
        )
    by_endpoint: dict[int, list[tuple[int, int]]] = {}
    for d in deliveries:
        by_endpoint.setdefault(d.endpoint_id, []).append((d.pk, 0))
    _enqueue_batches_after_commit(list(by_endpoint.values()))
    return events


def _numbers(conversation_ids: Iterable[int]) -> dict[int, Any]:
    """For each conversation, an iterator of its next event numbers, taken under the row lock."""
    counts = Counter(conversation_ids)
    ConversationSequence.objects.bulk_create(
        [ConversationSequence(conversation_id=cid) for cid in counts], ignore_conflicts=True
    )
    rows = list(ConversationSequence.objects.select_for_update().filter(conversation_id__in=counts))
    numbers = {}
    for row in rows:
        numbers[row.conversation_id] = iter(range(row.last + 1, row.last + counts[row.conversation_id] + 1))
        row.last += counts[row.conversation_id]
    ConversationSequence.objects.bulk_update(rows, ["last"])
    return numbers


def _enqueue_after_commit(jobs: list[tuple[int, int]], run_after: datetime | None = None) -> None:
    if not jobs:
        return
    from dabai.webhooks.tasks import deliver_webhook

    task = deliver_webhook.using(run_after=run_after) if run_after else deliver_webhook

    def enqueue() -> None:
        for delivery_id, attempts in jobs:
            task.enqueue(delivery_id, attempts)

    transaction.on_commit(enqueue)


BATCH = 200


def _enqueue_batches_after_commit(per_endpoint: list[list[tuple[int, int]]]) -> None:
    """One task per endpoint and chunk (a burst of events costs a few task rows, not one per delivery)."""
    from dabai.webhooks.tasks import deliver_webhooks

    chunks = [jobs[i : i + BATCH] for jobs in per_endpoint for i in range(0, len(jobs), BATCH)]
    if chunks:
        transaction.on_commit(
            lambda: [deliver_webhooks.enqueue([list(j) for j in chunk]) for chunk in chunks]
        )


def deliver_batch(jobs: list[tuple[int, int]]) -> dict[str, int]:
    """One endpoint's fresh deliveries in emit order (so each conversation's stay in order). At the first
    that is not delivered the rest become tasks of their own: a slow or dead receiver holds one worker for one
    attempt, not for the whole batch."""
    counts: Counter = Counter()
    for n, (delivery_id, attempts) in enumerate(jobs):
        outcome = deliver(delivery_id, attempts)
        counts[outcome] += 1
        if outcome in {"retrying", "failed"}:
            with transaction.atomic():
                _enqueue_after_commit(list(jobs[n + 1 :]))
            break
    return dict(counts)


def body_of(event: Event) -> bytes:
    """The exact bytes sent (and signed): the same on every attempt."""
    return json.dumps(event.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


# ------------------------------------------------------------------------------------------------ delivery


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    attempt: int
    url: str
    body: bytes
    headers: dict[str, str]
    allow_private: bool


def claim(delivery_id: int, expected_attempts: int, now: datetime | None = None) -> Claim | None:
    """Take the next attempt of a delivery, or None: settled, already attempted by another task, leased, its
    endpoint disabled, or waiting behind an earlier event of its conversation (then parked until released)."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("event", "endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None
        if delivery.attempts != expected_attempts or (delivery.leased_until and delivery.leased_until > now):
            return None
        if not delivery.endpoint.is_active:
            return None
        if delivery.conversation_id is not None:
            earlier = Delivery.objects.select_for_update().filter(
                endpoint_id=delivery.endpoint_id,
                conversation_id=delivery.conversation_id,
                status=DeliveryStatus.PENDING,
                sequence__lt=delivery.sequence,
            )
            if earlier.exists():
                Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
                return None
        delivery.attempts += 1
        delivery.leased_until = now + LEASE
        delivery.save(update_fields=["attempts", "leased_until"])
    event, endpoint = delivery.event, delivery.endpoint
    body = body_of(event)
    return Claim(
        delivery_id=delivery.pk,
        attempt=delivery.attempts,
        url=endpoint.url,
        body=body,
        headers=signing.headers(live_secrets(endpoint, now), event.uid, int(now.timestamp()), body),
        allow_private=policy().allow_private_addresses,
    )


def retry_delay(attempts: int, retry_after: int | None = None) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: the schedule with jitter, or longer if
    the receiver asked (Retry-After)."""
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    scheduled = base * random.uniform(1 - JITTER, 1 + JITTER)
    return max(scheduled, float(retry_after or 0))


def settle(claim_: Claim, outcome: Outcome, now: datetime | None = None) -> str:
    """Record the attempt and decide: delivered, retry later, or failed (and the endpoint disabled)."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .get(pk=claim_.delivery_id)
        )
        Attempt.objects.create(
            delivery=delivery,
            number=claim_.attempt,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_snippet=outcome.snippet,
            error=outcome.error[:500],
            retry_after_seconds=outcome.retry_after,
        )
        if delivery.status != DeliveryStatus.PENDING:  # the endpoint was disabled meanwhile
            return delivery.status
        delivery.leased_until = None
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error[:500]
        endpoint = delivery.endpoint
        if outcome.delivered:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                DeliveryStatus.DELIVERED,
                now,
                None,
            )
            delivery.save()
            if endpoint.failing_since is not None:
                Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            _release_next(delivery)
            return "delivered"
        if endpoint.failing_since is None:
            Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
        if outcome.gone or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            delivery.save()
            _release_next(delivery)
            reason = (
                "the receiver answered 410 Gone" if outcome.gone else "deliveries failed for about three days"
            )
            disable_endpoint(endpoint, reason=reason)
            return "failed"
        delivery.next_attempt_at = now + timedelta(
            seconds=retry_delay(delivery.attempts, outcome.retry_after)
        )
        delivery.save()
        _enqueue_after_commit([(delivery.pk, delivery.attempts)], run_after=delivery.next_attempt_at)
        return "retrying"


def _release_next(delivery: Delivery) -> None:
    """The next event of the same conversation to the same endpoint may go now (if it was waiting)."""
    if delivery.conversation_id is None:
        return
    following = (
        Delivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            conversation_id=delivery.conversation_id,
            status=DeliveryStatus.PENDING,
            sequence__gt=delivery.sequence,
        )
        .order_by("sequence")
        .first()
    )
    if following is not None and following.next_attempt_at is None:
        Delivery.objects.filter(pk=following.pk).update(next_attempt_at=timezone.now())
        _enqueue_after_commit([(following.pk, following.attempts)])


def deliver(delivery_id: int, expected_attempts: int) -> str:
    """One attempt, start to end (the task's body)."""
    from dabai.webhooks.sending import post

    taken = claim(delivery_id, expected_attempts)
    if taken is None:
        return "skipped"
    outcome = post(taken.url, taken.body, taken.headers, allow_private=taken.allow_private)
    return settle(taken, outcome)


def overdue(now: datetime | None = None, limit: int = 1000) -> list[tuple[int, int]]:
    """Deliveries whose attempt is due but whose task seems lost (a killed worker, an enqueue that never
    happened): due a while ago, and not leased (or the lease ran out)."""
    now = now or timezone.now()
    grace = now - LEASE
    rows = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=grace)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:limit]
    )
    return list(rows)


def requeue_overdue(now: datetime | None = None) -> int:
    jobs = overdue(now)
    with transaction.atomic():
        _enqueue_after_commit(jobs)
    return len(jobs)


def replay(deliveries: Iterable[Delivery], *, actor: User | None) -> int:
    """Send settled deliveries again (same ``webhook-id``), as new: their attempt count starts over."""
    ids = [d.pk for d in deliveries]
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk__in=ids, endpoint__is_active=True)
            .exclude(status=DeliveryStatus.PENDING)
        )
        now = timezone.now()
        for d in rows:
            d.status, d.attempts, d.next_attempt_at, d.leased_until, d.delivered_at = (
                DeliveryStatus.PENDING,
                0,
                now,
                None,
                None,
            )
        Delivery.objects.bulk_update(
            rows, ["status", "attempts", "next_attempt_at", "leased_until", "delivered_at"]
        )
        for d in rows:
            record_audit(actor, "webhooks.replay", d, {"event": d.event_id, "endpoint": d.endpoint_id})
        _enqueue_after_commit([(d.pk, 0) for d in rows])
    return len(rows)


def replay_failed(endpoint: Endpoint, *, actor: User | None) -> int:
    return replay(Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.FAILED), actor=actor)
