"""Channel probes (智能拨测): a probe through a channel's real door comes out stored and analysed, or the
channel is failing for everyone to see (supervisors mailed once an hour, the probes page, /healthz)."""

from datetime import timedelta

import httpx
import pytest
from django.core import mail
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone

from dabai.accounts.models import Role
from dabai.conversations.models import Conversation, Status
from dabai.core.choices import Channel
from dabai.core.tasks import start_heartbeat
from dabai.insights.models import Case
from dabai.quality.models import Outcome, ProbeAlert, ProbeRun, ProbeStatus, Survey
from dabai.quality.probes import runs
from dabai.routing.models import RoutingDecision
from dabai.testing import UserFactory, run_queued_tasks

SECRET = "probe-test-secret"


@pytest.fixture(autouse=True)
def probe_settings(settings):
    settings.DABAI_PUBLIC_URL = "http://testserver"
    settings.DABAI_WEBHOOK_SECRET = SECRET
    settings.DABAI_SMS_SECRET = SECRET
    settings.DABAI_WECHAT_TOKEN = ""
    settings.DABAI_IMAP_HOST = ""
    settings.DABAI_PROBE_THRESHOLD_SECONDS = 120
    settings.ALLOWED_HOSTS = ["*"]
    return settings


@pytest.fixture
def site():
    """The site itself over HTTP (WSGI in this process, so it sees the test's database transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield httpx.WSGITransport(app=WSGIHandler())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def supervisors(db):
    return [
        UserFactory(username="banzhang", role=Role.SUPERVISOR, email="banzhang@dabai.example"),
        UserFactory(username="zuzhang", role=Role.SUPERVISOR, email="zuzhang@dabai.example"),
    ]


def probe(site, channel: str, commit) -> ProbeRun:
    with commit(execute=True):
        (run,) = runs.send_probes([channel], transport=site)
    return run


def test_an_sms_probe_through_the_signed_webhook_is_stored_analysed_and_kept_away_from_agents(
    db, site, django_capture_on_commit_callbacks
):
    run = probe(site, Channel.SMS, django_capture_on_commit_callbacks)
    assert run.status == ProbeStatus.PENDING and run.stored_at is None, "the door only stores the raw SMS"
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()

    run.refresh_from_db()
    assert run.status == ProbeStatus.OK
    assert run.sent_at <= run.stored_at <= run.analysed_at <= run.deadline
    assert run.message.body.endswith(run.token) and run.message.insight is not None
    conversation = Conversation.objects.get(pk=run.conversation_id)
    assert conversation.channel == Channel.SMS and conversation.status == Status.CLOSED
    assert conversation.customer.is_probe and conversation.assignee_id is None
    assert not RoutingDecision.objects.filter(conversation=conversation).exists(), "never routed to an agent"
    assert not Outcome.objects.filter(conversation=conversation).exists()
    assert not Survey.objects.filter(conversation=conversation).exists(), "a probe is never surveyed"
    assert not Case.objects.filter(pk=conversation.pk).exists(), "not in the VoC case library"

    second = probe(site, Channel.SMS, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    second.refresh_from_db()
    assert second.status == ProbeStatus.OK and second.conversation_id != conversation.pk


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.WEIBO, Channel.PHONE])
def test_probes_through_the_other_signed_doors_come_out_analysed(
    db, site, channel, django_capture_on_commit_callbacks
):
    run = probe(site, channel, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    run.refresh_from_db()
    assert run.status == ProbeStatus.OK, run.error
    assert Conversation.objects.get(pk=run.conversation_id).status == Status.CLOSED


@pytest.mark.parametrize("aes", [False, True], ids=["plaintext", "safe-mode"])
def test_a_wechat_probe_is_signed_like_wechat_signs_and_encrypted_when_a_key_is_configured(
    db, site, settings, aes, django_capture_on_commit_callbacks
):
    settings.DABAI_WECHAT_TOKEN = "wechat-token"
    settings.DABAI_WECHAT_APP_ID = "wx-probe-app"
    settings.DABAI_WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" if aes else ""
    run = probe(site, Channel.WECHAT, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    run.refresh_from_db()
    assert run.status == ProbeStatus.OK, run.error


def test_a_probe_the_drain_never_stores_fails_alerts_supervisors_once_an_hour_and_shows_on_healthz(
    db, site, client, supervisors, django_capture_on_commit_callbacks
):
    start_heartbeat()
    run_queued_tasks()  # the worker is alive: /healthz must stay 200 however the channel fares
    first = probe(site, Channel.SMS, django_capture_on_commit_callbacks)
    later = timezone.now() + timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert runs.fail_overdue(later) == [first]  # the drain did not run within the two minutes
    first.refresh_from_db()
    assert first.status == ProbeStatus.FAILED and first.error.startswith("未能按时入库")
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["banzhang@dabai.example", "zuzhang@dabai.example"]
    assert "短信" in mail.outbox[0].subject

    second = probe(site, Channel.SMS, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        runs.fail_overdue(timezone.now() + timedelta(minutes=3))
    second.refresh_from_db()
    assert second.status == ProbeStatus.FAILED
    assert len(mail.outbox) == 1, "at most one alert per channel per hour"
    assert ProbeAlert.objects.count() == 1

    response = client.get(reverse("healthz"))
    assert response.status_code == 200, "one channel failing must not pull the whole site"
    report = response.json()
    assert report["status"] == "degraded"
    assert report["checks"]["channel_probes"]["channels"]["sms"]["ok"] is False

    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()  # the drain runs at last: the probes arrive late, the channel works again
    second.refresh_from_db()
    assert second.status == ProbeStatus.LATE
    assert client.get(reverse("healthz")).json()["status"] == "ok"


def test_a_door_that_refuses_the_probe_fails_it_at_once(
    db, site, settings, supervisors, django_capture_on_commit_callbacks
):
    settings.DABAI_MAX_PAYLOAD_BYTES = 10  # e.g. a proxy or a setting that refuses every real SMS
    with django_capture_on_commit_callbacks(execute=True):
        (run,) = runs.send_probes([Channel.SMS], transport=site)
    assert run.status == ProbeStatus.FAILED and "413" in run.error
    assert len(mail.outbox) == 1


def test_supervisors_see_each_channels_runs_and_the_failing_one_first(
    db, site, client, supervisors, agent, django_capture_on_commit_callbacks
):
    good = probe(site, Channel.PHONE, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    bad = probe(site, Channel.SMS, django_capture_on_commit_callbacks)
    ProbeRun.objects.filter(pk=bad.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        runs.fail_overdue()

    client.force_login(agent)
    assert client.get(reverse("quality:probes")).status_code == 403
    client.force_login(supervisors[0])
    page = client.get(reverse("quality:probes")).content.decode()
    assert 'data-testid="probe-failing"' in page and "短信" in page
    rows = page.split('data-channel="')
    assert rows[1].startswith("sms") and "probe-failing" in rows[0][-40:], "the failing channel comes first"
    (phone,) = [row for row in rows if row.startswith("phone")]
    assert "probe-status ok" in phone and "probe-dot ok" in phone
    assert good.token not in page and bad.token not in page


def test_a_starting_worker_starts_the_probe_chain_which_fails_probes_the_site_cannot_take(
    db, settings, supervisors, django_capture_on_commit_callbacks
):
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from dabai.core.signals import worker_started
    from dabai.quality import tasks

    settings.DABAI_PUBLIC_URL = "http://127.0.0.1:9"  # nothing listens: the site's public address is wrong
    settings.DABAI_PROBE_CHANNELS = "sms"
    worker_started.send(sender=None)
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    run = ProbeRun.objects.get()
    assert run.channel == Channel.SMS and run.status == ProbeStatus.FAILED
    assert "拒收" in run.error and "Connection refused" in run.error
    assert len(mail.outbox) == 1
    cycles = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=tasks.probe_cycle.module_path
    )
    assert cycles.count() == 1 and cycles.get().run_after > timezone.now() + timedelta(minutes=9)

    tasks.start_probes()  # another worker starts: the older chain retires at its next run
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks(include_future=True)
    assert ProbeRun.objects.count() == 2, "one probe per cycle of the live chain only"


def test_the_banner_names_failing_channels_to_supervisors_only(db, supervisors, agent, rf):
    from django.template import Context, Template

    now = timezone.now()
    ProbeRun.objects.create(
        channel=Channel.EMAIL, token="a" * 32, sent_at=now, deadline=now, status=ProbeStatus.FAILED
    )
    ProbeRun.objects.create(
        channel=Channel.SMS, token="b" * 32, sent_at=now, deadline=now, status=ProbeStatus.OK
    )
    template = Template("{% load quality_probes %}{% probe_banner %}")
    request = rf.get("/quality/")
    request.user = supervisors[0]
    banner = template.render(Context({"request": request}))
    assert 'data-testid="probe-banner"' in banner and "邮件" in banner and "短信" not in banner
    request.user = agent
    assert template.render(Context({"request": request})).strip() == ""
