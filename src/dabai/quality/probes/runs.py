"""State changes of the channel probes: send, notice the probe stored, notice it analysed, fail the overdue,
alert supervisors. Runs are matched by the random token the probe carries; nothing else is trusted."""

import logging
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import httpx
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dabai.accounts.models import Role, User
from dabai.conversations.models import Insight, Status
from dabai.conversations.services import change_status
from dabai.conversations.signals import Arrival
from dabai.core.choices import Channel
from dabai.customers.services import mark_probes
from dabai.quality import conf
from dabai.quality.models import ProbeAlert, ProbeRun, ProbeStatus
from dabai.quality.probes.senders import SENDERS, TIMEOUT_SECONDS, ProbeSendError, configured_channels

logger = logging.getLogger(__name__)

TOKEN_PATTERN = re.compile(r"【大白拨测】[^#]{0,40}#([0-9a-f]{32})")
ALERT_EVERY = timedelta(hours=1)


def channels_to_probe() -> list[str]:
    """The configured channels, narrowed to ``DABAI_PROBE_CHANNELS`` when that names some."""
    configured = configured_channels()
    wanted = conf.probe_channels()
    return configured if wanted is None else [c for c in configured if c in wanted]


def probe_client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An HTTP client aimed at the site's own public address (the address the partners post to)."""
    return httpx.Client(base_url=conf.public_url(), timeout=TIMEOUT_SECONDS, transport=transport)


def send_probes(
    channels: Iterable[str] | None = None, *, transport: httpx.BaseTransport | None = None
) -> list[ProbeRun]:
    """Send one probe through each channel (the configured ones by default); returns their runs."""
    channels = list(channels_to_probe() if channels is None else channels)
    if not channels:
        return []
    if not conf.public_url():
        logger.warning("channel probes need DABAI_PUBLIC_URL (the address the channels post to)")
        return []
    with probe_client(transport) as client:
        return [send_probe(channel, client) for channel in channels]


def send_probe(channel: str, client: httpx.Client) -> ProbeRun:
    """Record the run first (the drain may store the probe before the door has even answered), then send.

    A refusal at the door (401 for a wrong secret, 5xx, no answer) fails the run at once."""
    now = timezone.now()
    run = ProbeRun.objects.create(
        channel=channel,
        token=secrets.token_hex(16),
        sent_at=now,
        deadline=now + timedelta(seconds=conf.probe_threshold_seconds(channel)),
    )
    try:
        SENDERS[channel](client, run.token)
    except (ProbeSendError, httpx.HTTPError, KeyError) as exc:
        error = str(exc) if not isinstance(exc, KeyError) else "no probe for this channel"
        logger.warning("channel probe through %s failed: %s", channel, error)
        fail_runs([run], _("The channel refused the probe: %(error)s") % {"error": error[:300]})
        run.refresh_from_db()
    return run


def tokens_in(body: str) -> set[str]:
    return set(TOKEN_PATTERN.findall(body or ""))


def record_arrivals(arrivals: list[Arrival]) -> list[ProbeRun]:
    """Probes among freshly stored messages: note when they were stored, flag their customer as a probe (so
    every report leaves them out) and close their conversation (so it never waits in an agent's queue)."""
    by_token = {token: a for a in arrivals for token in tokens_in(a.message.body)}
    if not by_token:
        return []
    runs = list(ProbeRun.objects.filter(token__in=list(by_token), stored_at__isnull=True))
    if not runs:
        return []
    now = timezone.now()
    for run in runs:
        arrival = by_token[run.token]
        run.stored_at, run.message, run.conversation = now, arrival.message, arrival.conversation
    ProbeRun.objects.bulk_update(runs, ["stored_at", "message", "conversation"])
    mark_probes({r.conversation.customer_id for r in runs})
    for conversation in {r.conversation_id: r.conversation for r in runs}.values():
        conversation.customer.is_probe = True
        if conversation.status not in (Status.RESOLVED, Status.CLOSED):
            change_status(conversation, Status.CLOSED, actor=None)
    return runs


def record_analysed(insights: list[Insight]) -> list[ProbeRun]:
    """The filter has read probe messages: the run is ok, or late when past its deadline (a run already
    failed as overdue becomes late: the channel works again, slowly)."""
    ids = [i.message_id for i in insights]
    runs = list(ProbeRun.objects.filter(message_id__in=ids, analysed_at__isnull=True))
    now = timezone.now()
    for run in runs:
        run.analysed_at = now
        on_time = run.status == ProbeStatus.PENDING and now <= run.deadline
        run.status = ProbeStatus.OK if on_time else ProbeStatus.LATE
    ProbeRun.objects.bulk_update(runs, ["analysed_at", "status"])
    return runs


def fail_overdue(now: datetime | None = None) -> list[ProbeRun]:
    """Fail the runs still pending past their deadline (saying which step never happened), then alert."""
    now = now or timezone.now()
    overdue = list(ProbeRun.objects.filter(status=ProbeStatus.PENDING, deadline__lt=now))
    never_stored = [r for r in overdue if r.stored_at is None]
    not_read = [r for r in overdue if r.stored_at is not None]
    fail_runs(never_stored, _("Not stored in time: the channel's door or the drain did not get it through."))
    fail_runs(not_read, _("Stored but not analysed in time: the filter did not read it."))
    return overdue


def fail_runs(runs: list[ProbeRun], error: str) -> None:
    if not runs:
        return
    ProbeRun.objects.filter(pk__in=[r.pk for r in runs], status=ProbeStatus.PENDING).update(
        status=ProbeStatus.FAILED, error=error[:500]
    )
    for run in runs:
        run.status, run.error = ProbeStatus.FAILED, error[:500]
    alert_supervisors(runs)


def alert_supervisors(failed: list[ProbeRun]) -> list[ProbeAlert]:
    """Mail the supervisors about each failing channel, at most once per channel per hour."""
    now = timezone.now()
    latest = {r.channel: r for r in sorted(failed, key=lambda r: r.sent_at)}
    recent = set(
        ProbeAlert.objects.filter(channel__in=list(latest), sent_at__gte=now - ALERT_EVERY).values_list(
            "channel", flat=True
        )
    )
    due = {channel: run for channel, run in latest.items() if channel not in recent}
    if not due:
        return []
    addresses = list(
        User.objects.filter(role=Role.SUPERVISOR, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    alerts = []
    for channel, run in due.items():
        alerts.append(
            ProbeAlert.objects.create(channel=channel, run=run, sent_at=now, recipients=len(addresses))
        )
        if addresses:
            _mail(channel, run, addresses)
    return alerts


def _mail(channel: str, run: ProbeRun, addresses: list[str]) -> None:
    with translation.override("zh-hans"):
        name = str(Channel(channel).label)
        subject = _("Channel probe failed: %(channel)s") % {"channel": name}
        body = "\n".join(
            [
                _(
                    "A test message sent through %(channel)s at %(time)s did not come out as an analysed "
                    "message."
                )
                % {"channel": name, "time": timezone.localtime(run.sent_at).strftime("%Y-%m-%d %H:%M")},
                run.error,
                _("Customers writing through this channel may not be heard. Details: %(link)s")
                % {"link": conf.public_url() + "/quality/probes/"},
            ]
        )
    transaction.on_commit(lambda: _send(subject, body, addresses))


def _send(subject: str, body: str, addresses: list[str]) -> None:
    try:
        send_mail(subject, body, None, addresses)
    except Exception:  # a mail server being down must not stop the probes (the page and /healthz still show)
        logger.exception("could not mail the probe alert to supervisors")


def latest_runs() -> dict[str, ProbeRun]:
    """Each probed channel's latest settled run (a pending one counts once its deadline has passed)."""
    now = timezone.now()
    latest = {}
    for channel in Channel.values:
        run = (
            ProbeRun.objects.filter(channel=channel)
            .exclude(Q(status=ProbeStatus.PENDING) & Q(deadline__gte=now))
            .order_by("-sent_at", "-id")
            .first()
        )
        if run is not None:
            latest[channel] = run
    return latest


def is_failing(run: ProbeRun) -> bool:
    return run.status in (ProbeStatus.FAILED, ProbeStatus.PENDING)


def failing_channels() -> dict[str, ProbeRun]:
    """Channels whose latest probe failed (or is overdue and not yet marked so)."""
    return {channel: run for channel, run in latest_runs().items() if is_failing(run)}


def health() -> dict:
    """What /healthz shows of the probes: each probed channel's latest result; ok when none is failing."""
    channels = {
        channel: {
            "ok": not is_failing(run),
            "status": str(ProbeStatus.FAILED if is_failing(run) else run.status),
            "sent_at": run.sent_at.isoformat(),
            "latency_seconds": run.latency_seconds,
            **({"error": run.error} if is_failing(run) and run.error else {}),
        }
        for channel, run in latest_runs().items()
    }
    return {"ok": all(c["ok"] for c in channels.values()), "channels": channels}
