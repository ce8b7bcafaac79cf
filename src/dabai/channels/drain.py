"""The drain: every inbound path's one way from a stored raw payload to stored, analysed messages.

A door stores the raw delivery and asks for a drain (``accept_payload``); one drain task at a time takes what
arrived in batches (a few queries per batch instead of dozens per message), parses it with its adapter, stores
the messages with ``receive_messages`` and lets the filter read them together. Paths whose sender waits for
the stored message (the chat widget's acknowledgement, a call logged at the desk) drain their own payload at
once (``drain_now``): the same code, one payload. A failure starts the payload's one retry chain; after the
last attempt it is a dead letter that admins can requeue.
"""

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TextIO

from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks.base import DEFAULT_TASK_PRIORITY, TASK_MAX_PRIORITY, Task

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.channels.adapter import PayloadError
from dabai.channels.models import DrainRequest, InboundPayload, PayloadStatus
from dabai.channels.services import process_payloads, store_payload
from dabai.conversations.filtering import current_model
from dabai.conversations.live import gathered_events
from dabai.conversations.models import Message
from dabai.conversations.services import read_messages
from dabai.conversations.tasks import analyse_messages
from dabai.core import pressure
from dabai.core.profiling import batch_log
from dabai.core.tasking import RETRY_DELAYS_SECONDS, enqueue_on_commit, retry_later
from dabai.filter import analyse_many

logger = logging.getLogger(__name__)

DRAIN_STALE_AFTER = timedelta(seconds=60)
# The PostgreSQL advisory lock between the doors' express lane (shared, per delivery) and a starting drain
# (exclusive, ``drain_started``); see ``dabai.channels.express._statement``. Any fixed 64-bit number.
LANE_LOCK = 0x64616261_6472616E  # "dabadran"
DRAIN_BATCH = 200
# Behind a backlog the lane takes bigger batches (doubling while they come back full, up to this): a batch
# has a fixed cost (claims, routing's set-wise reads, the trips after commit) that a bigger one spreads
# thinner, so a backlog clears sooner; once the lane has caught up it is back to DRAIN_BATCH at most. Not
# more: a batch holds its conversations' rows locked until it commits (an agent's reply to one of them
# waits), and on a busy two-core machine 800 payloads took 4-5 s against 1.5 s for 200.
DRAIN_BATCH_MAX = 400
DRAIN_SLICE_SECONDS = 5
# Items split from one bulk delivery (a Weibo push of thousands of statuses) share each drain batch with
# everything else: at most BULK_SHARE of them per batch, so an SMS arriving behind them waits one batch.
BULK_SOURCES = ("push-item",)
BULK_SHARE = 50


def accept_payload(
    channel: str, source: str, raw: bytes, meta: dict[str, Any] | None = None
) -> InboundPayload:
    """Store the delivery and leave the rest to the drain: the sender has its answer within milliseconds."""
    payload = store_payload(channel, source, raw, meta)
    request_drain()
    return payload


def request_drain(*, first: bool = True) -> bool:
    """Queue one drain task unless one is queued already (or the queued one is so old it must have been lost).

    One statement, whatever the burst: an upsert that only writes (and returns a row) when no fresh request
    exists. The task is enqueued after commit, so it always finds the payload that asked for it. A drain
    asked for by new arrivals goes to the front of the queue (``first``): the worker's other jobs (the bot's
    answers, notifications) can wait, the customer's message being stored and read cannot. A drain that
    used up its time slice asks for its next turn at the back (``first=False``), so under a sustained burst
    that other work still gets through.
    """
    now = timezone.now()
    table = connection.ops.quote_name(DrainRequest._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, queued_at) VALUES (1, %s) ON CONFLICT (id) DO UPDATE "
            f"SET queued_at = excluded.queued_at WHERE {table}.queued_at < %s RETURNING id",
            [adapt(now), adapt(now - DRAIN_STALE_AFTER)],
        )
        queued = cursor.fetchone() is not None
    if queued:
        enqueue_on_commit(_drain_task(first))
    return queued


def _drain_task(first: bool) -> Task:
    """The drain task, ahead of other queued work when asked for by arrivals and the backend can order.

    (The RQ backend refuses priorities; there the worker's own drain loop keeps the drain ahead.)
    """
    if not drain_inbound.get_backend().supports_priority:
        return drain_inbound
    return drain_inbound.using(priority=TASK_MAX_PRIORITY if first else DEFAULT_TASK_PRIORITY)


def drain_running() -> None:
    """A drain lane is running (``drain_forever``): the request row says so, renewed well before it is stale.

    A drain that looks at what is stored every batch is a drain queued for whatever arrives, so the doors'
    express lane may keep answering alone. Left to go stale, the row sent every delivery to Django's door
    (milliseconds each, one thread) for the moment until one of them asked for a drain again, once a minute,
    under the heaviest load too. No task is queued: the lane drains. If the lane dies, the row goes stale
    within ``DRAIN_STALE_AFTER`` and the doors ask for a drain task again; what was stored meanwhile is read
    by the next lane or the sweep, as a killed worker's batch is.
    """
    DrainRequest.objects.update_or_create(pk=1, defaults={"queued_at": timezone.now()})


def drain_started() -> None:
    """The drain runs now: payloads arriving from here on ask for the next one.

    On PostgreSQL the request is deleted under the express lane's lock, taken exclusively: this waits for
    the lane's statements in flight (a few milliseconds at most; their payloads are committed before the
    drain claims), and the lane, finding the lock held or the row gone, hands its deliveries to Django's
    door, which asks for the next drain. Nothing is stored after the drain looked with no drain asked for.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LANE_LOCK])
        DrainRequest.objects.all().delete()


def drain_batch(limit: int, timings: dict[str, float] | None = None) -> int:
    """Process up to ``limit`` received payloads together, then let the filter read their messages together.

    Returns how many payloads were claimed. Claiming skips rows another worker holds, so several workers
    can drain side by side. Items of a bulk delivery take at most ``BULK_SHARE`` places of a batch. The
    messages are read in the same transaction: a worker killed mid-batch leaves its payloads ``received``
    for the next drain, never messages without insights (only a failing filter leaves those, to its task).
    The batch's live events go out together once it is done (``gathered_events``). ``timings``, when given,
    receives when the transaction committed (``committed``, monotonic seconds).
    """
    with gathered_events():
        with transaction.atomic():
            if timings is not None:
                transaction.on_commit(lambda: timings.__setitem__("committed", time.monotonic()))
            claimable = (
                InboundPayload.objects.select_for_update(skip_locked=True)
                .filter(status=PayloadStatus.RECEIVED)
                .order_by("received_at", "pk")
            )
            bulk = list(claimable.filter(source__in=BULK_SOURCES)[: min(limit, BULK_SHARE)])
            payloads = [*claimable.exclude(source__in=BULK_SOURCES)[: limit - len(bulk)], *bulk]
            outcomes = process_payloads(payloads, analyse=False)
            created = [r.message for found in outcomes for r in found if r.created]
            if created:
                _read_now_or_later(created)
        for payload in payloads:
            if payload.status == PayloadStatus.FAILED:
                schedule_retry(payload)
    return len(payloads)


def drain_now(payload: InboundPayload) -> Message | None:
    """Drain one just-stored payload in this process (its sender waits for the message): the first message
    it stored, or None (an event, or a failure now in its retry chain). PayloadError if it is hopeless.

    The row is locked first: if a running drain took it meanwhile, this waits for it and reads its outcome.
    """
    with transaction.atomic():
        payload = InboundPayload.objects.select_for_update().get(pk=payload.pk)
        if payload.status != PayloadStatus.RECEIVED:
            return payload.message
        outcome = process_payloads([payload])[0]
    if payload.status == PayloadStatus.REJECTED:
        raise PayloadError(payload.error)
    if payload.status == PayloadStatus.FAILED:
        schedule_retry(payload)
    return outcome[0].message if outcome else None


def more_to_drain() -> bool:
    return InboundPayload.objects.filter(status=PayloadStatus.RECEIVED).exists()


def _read_now_or_later(messages: list[Message]) -> None:
    try:
        with transaction.atomic():
            read_messages(messages)
    except Exception:
        logger.exception("reading %d drained messages failed; queued for retry", len(messages))
        enqueue_on_commit(analyse_messages, [m.pk for m in messages])


def schedule_retry(payload: InboundPayload) -> None:
    """Continue the payload's one retry chain: its next attempt after the back-off, or the dead letter.

    ``payload.attempts`` counts the attempts made; the chain's next link carries that number, so a second
    link for the same attempt (a sweep re-asked meanwhile) finds the attempt made and does nothing.
    """
    made = payload.attempts
    if retry_later(reprocess_payload, made - 1, payload.pk):
        payload.next_attempt_at = timezone.now() + timedelta(seconds=RETRY_DELAYS_SECONDS[made - 1])
    else:
        logger.error("gave up on %s payload #%s after %d attempts", payload.channel, payload.pk, made)
        payload.status, payload.next_attempt_at = PayloadStatus.DEAD, None
    InboundPayload.objects.filter(pk=payload.pk).update(
        status=payload.status, next_attempt_at=payload.next_attempt_at
    )


def lost_retries(overdue_before: datetime, limit: int) -> list[InboundPayload]:
    """Failed payloads whose next attempt is long overdue (its task died with a worker): asked for again.

    Payloads with a pending retry are left alone, so the sweep never starts a second chain.
    """
    lost = list(
        InboundPayload.objects.filter(status=PayloadStatus.FAILED)
        .filter(Q(next_attempt_at__lt=overdue_before) | Q(next_attempt_at__isnull=True))
        .only("pk", "attempts")[:limit]
    )
    for payload in lost:
        reprocess_payload.enqueue(payload.pk, attempt=payload.attempts)
    InboundPayload.objects.filter(pk__in=[p.pk for p in lost]).update(next_attempt_at=timezone.now())
    return lost


def requeue_payloads(payloads: Iterable[InboundPayload], actor: User | None) -> int:
    """An admin sends dead letters (or failed payloads) through the drain again, with a fresh retry chain."""
    requeued = 0
    for payload in payloads:
        if payload.status not in {PayloadStatus.DEAD, PayloadStatus.FAILED}:
            continue
        record_audit(
            actor, "payload.retry", payload, {"status": payload.status, "attempts": payload.attempts}
        )
        requeued += InboundPayload.objects.filter(pk=payload.pk, status=payload.status).update(
            status=PayloadStatus.RECEIVED, attempts=0, next_attempt_at=None
        )
    if requeued:
        request_drain()
    return requeued


# The worker's drain loop: how long it waits when nothing is left, and after an error (the database away).
LOOP_IDLE_SECONDS = 0.1
LOOP_ERROR_SECONDS = 2.0
# After a batch that was not full, how long arrivals gather before the next claim. Claimed at once, a steady
# stream came in batches of one to three (each batch pays the same fixed work: its transaction, routing's
# and the insights' set-wise steps, the bot's and the case index's jobs), and the worker took 1.2 cores at
# 50 msg/s as at 800 (bench/ingest.py, 1 December). A message waits at most this much longer to be read:
# at 0.2 s a steady 200 msg/s was analysed at p99 1.03-1.07 s, over the 1 s target; at 0.1 s 0.74-0.76 s.
DRAIN_GATHER_SECONDS = 0.1
# How often a running lane renews the drain request (``drain_running``): well inside DRAIN_STALE_AFTER.
DRAIN_RENEW_SECONDS = DRAIN_STALE_AFTER.total_seconds() / 4


def warm_up() -> None:
    """Read one message before the first batch: the filter's model, word lists and converters load here, at
    start, instead of making the first customers after a (re)start wait for them. Never fatal: a model
    that cannot be read now (the database not there yet) is read by the first batch, as before."""
    try:
        analyse_many(["你好，请问我的订单什么时候发货？"], model=current_model())
    except Exception:
        logger.warning("the drain could not warm the filter up; the first batch will", exc_info=True)
    finally:
        connection.close()


def drain_forever(
    stop: threading.Event,
    idle_seconds: float = LOOP_IDLE_SECONDS,
    gather_seconds: float = DRAIN_GATHER_SECONDS,
    make_way: Callable[[threading.Event], float] = pressure.make_way,
) -> int:
    """The worker's own lane for the drain: claim and process batches as they arrive, until ``stop``.

    The task queue is first come, first served, and most of what waits in it (the bot's answers, routing,
    notifications) follows from messages already stored and read; a drain task queued behind a backlog of
    such jobs would leave new messages unread for as long. This loop runs beside the queue in every
    ``dabai worker``, so a message is read within a batch of arriving, whatever the queue holds. The drain
    task (``drain_inbound``) stays: for the sweep, the retry chains and a worker started with ``--batch``.
    Several workers drain side by side (claims skip locked rows); a killed worker's batch rolls back and is
    claimed again. Behind a backlog the batches grow (``next_limit``); after a batch that was not full the
    loop lets arrivals gather for ``gather_seconds``. ``make_way`` (``dabai.core.pressure.make_way``: a wait
    only in the ``dabai drain`` process, which enables it) waits before each claim while the doors are busy:
    during a burst the messages are stored at once and read a little later. Returns how many payloads it
    processed.
    """
    drained, limit, renewed = 0, DRAIN_BATCH, -DRAIN_RENEW_SECONDS
    batches = batch_log("drain")
    while not stop.is_set():
        make_way(stop)
        began, cpu, claimed, full = time.monotonic(), time.process_time(), 0, False
        timings: dict[str, float] | None = {} if batches is not None else None  # only when logging
        try:
            if began - renewed >= DRAIN_RENEW_SECONDS:
                drain_running()
                renewed = began
            claimed = drain_batch(limit, timings)
            full = claimed >= limit
            limit = next_limit(limit, claimed)
            if batches is not None and claimed:
                _log_batch(batches, began, cpu, claimed, timings)
        except Exception:
            logger.exception("the drain loop failed; trying again in %.0f s", LOOP_ERROR_SECONDS)
            connection.close()
            stop.wait(LOOP_ERROR_SECONDS)
            continue
        finally:
            close_old_connections()
        drained += claimed
        if claimed == 0:
            stop.wait(idle_seconds)
        elif not full:
            stop.wait(gather_seconds)  # a backlog is worked off at once; a stream gathers into batches
    connection.close()
    if batches is not None:
        batches.close()
    return drained


def next_limit(limit: int, claimed: int) -> int:
    """The next batch's size: twice this one's when it came back full (a backlog), else ``DRAIN_BATCH``."""
    return min(2 * limit, DRAIN_BATCH_MAX) if claimed >= limit else DRAIN_BATCH


def _log_batch(batches: TextIO, began: float, cpu: float, claimed: int, timings: dict[str, float]) -> None:
    """One line per batch for ``DABAI_PROFILE_DIR``: wall-clock start, payloads, ms in the transaction and
    after its commit (the live events, the enqueued jobs), and this process's CPU ms for the batch (which,
    unlike the wall-clock figures, a busy machine does not inflate)."""
    ended = time.monotonic()
    committed = timings.get("committed", ended)
    start = time.time() - (ended - began)
    batches.write(
        f"{start:.3f} {claimed} {(committed - began) * 1000:.1f} {(ended - committed) * 1000:.1f}"
        f" {(time.process_time() - cpu) * 1000:.1f}\n"
    )


_lane: subprocess.Popen | None = None


def start_drain_process() -> subprocess.Popen:
    """``dabai drain`` as a child of this worker: its own process, so the queue's jobs (the bot, Python code
    that holds the interpreter lock for a fifth of a second per answer) never share a lock with the drain.
    It runs at the drain's CPU priority (``DABAI_DRAIN_NICE``, ahead of the queue's jobs) and stops when
    the worker is gone."""
    global _lane
    _lane = subprocess.Popen([sys.executable, "-m", "dabai.cli", "drain", "--parent", str(os.getpid())])
    return _lane


def lane_running() -> bool:
    """Whether this process started a drain lane that is still running (see ``drain_inbound``)."""
    return _lane is not None and _lane.poll() is None


@task()
def drain_inbound() -> int:
    """Process accepted payloads in batches until none are left or this turn's time is up.

    The time slice lets other work (replies, polls) through under a sustained burst; the next turn is
    queued behind it. In a worker whose drain lane runs (``lane_running``) the task leaves the draining to
    the lane: run here too it would claim batches beside the lane at the queue's lower priority, and their
    messages would wait for the CPU behind the bot's answers. The drain request stays queued, so the doors'
    express lane keeps answering alone; should the lane stop, the sweep asks again and this task drains.
    """
    if lane_running():
        return 0
    drain_started()
    deadline = time.monotonic() + DRAIN_SLICE_SECONDS
    drained = 0
    while True:
        claimed = drain_batch(DRAIN_BATCH)
        drained += claimed
        if claimed == 0 or (claimed < DRAIN_BATCH and not more_to_drain()):
            return drained
        if time.monotonic() > deadline:
            request_drain(first=False)
            return drained


@task()
def reprocess_payload(payload_id: int, attempt: int = 0) -> str:
    """One link of a failed payload's retry chain (see ``schedule_retry``): process it again, never lost.

    ``attempt`` is how many attempts were made when this link was queued; if the payload has moved on since
    (another link or the drain got there first), this link does nothing.
    """
    with transaction.atomic():
        payload = (
            InboundPayload.objects.select_for_update()
            .filter(pk=payload_id, status=PayloadStatus.FAILED, attempts=attempt)
            .first()
        )
        if payload is None:
            return "done"
        process_payloads([payload])
        if payload.status == PayloadStatus.REJECTED:
            return "rejected"
        if payload.status == PayloadStatus.FAILED:
            logger.warning("payload #%s failed again (attempt %d)", payload_id, payload.attempts)
            schedule_retry(payload)
            return payload.status
    return "ok"
