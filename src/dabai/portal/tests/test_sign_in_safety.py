"""The portal's code sign-in tells nobody whether an address is known, survives a mail server that is down,
and throttles guessing per address and per network address."""

import re
import socket

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dabai.core.choices import Channel
from dabai.portal import services
from dabai.portal.models import SignInCode
from dabai.testing import ChannelIdentityFactory, CustomerFactory, run_queued_tasks

KNOWN = "wangfang@example.cn"


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    customer = CustomerFactory(display_name="王芳")
    ChannelIdentityFactory(customer=customer, channel=Channel.EMAIL, external_id=KNOWN)
    return customer


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_down():
    """The default set-up: the SMTP backend, and nothing listening where it connects."""
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=closed_port(),
        EMAIL_TIMEOUT=2,
    )


def request_code(client: Client, address: str, ip: str = "203.0.113.7"):
    return client.post(reverse("portal:sign_in"), {"address": address}, REMOTE_ADDR=ip)


def sent_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def test_known_and_unknown_addresses_get_the_same_answer_with_the_same_work(
    alice, django_capture_on_commit_callbacks
):
    answers = []
    for address in (KNOWN, "nobody@example.cn"):
        client = Client()
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            response = request_code(client, address)
        answers.append((response.status_code, response.get("Location"), response.content, len(queries)))
        assert mail.outbox == []  # nothing is sent while the customer waits
        assert not SignInCode.objects.exists()
    assert answers[0] == answers[1]
    verify_pages = [Client(), Client()]
    bodies = []
    for client, address in zip(verify_pages, (KNOWN, "nobody@example.cn"), strict=True):
        request_code(client, address)
        page = client.get(reverse("portal:verify")).content.decode()
        bodies.append(page.replace(address, "ADDRESS"))
    tokens = re.compile(r"[A-Za-z0-9]{32,}")  # CSRF tokens differ per session
    assert tokens.sub("", bodies[0]) == tokens.sub("", bodies[1])


def test_the_code_is_sent_by_a_task(alice, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        request_code(client, KNOWN)
    assert mail.outbox == []
    run_queued_tasks()
    assert [m.to for m in mail.outbox] == [[KNOWN]]
    response = client.post(reverse("portal:verify"), {"code": sent_code()})
    assert response["Location"] == reverse("portal:home")


def test_unknown_address_queues_the_same_task_and_sends_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request_code(Client(), "nobody@example.cn")
    assert run_queued_tasks() == 1
    assert mail.outbox == []
    assert not SignInCode.objects.exists()


def test_mail_server_down_is_no_error_and_does_not_use_up_the_hourly_codes(
    alice, django_capture_on_commit_callbacks
):
    client = Client()
    with smtp_down():
        for _ in range(services.MAX_CODES_PER_HOUR):
            with django_capture_on_commit_callbacks(execute=True):
                response = request_code(client, KNOWN)
            assert response.status_code == 302
        run_queued_tasks()
        assert mail.outbox == []
        assert not SignInCode.objects.filter(sent_at__isnull=False).exists()
        while run_queued_tasks(include_future=True):  # every retry, until each code is given up
            pass
    assert SignInCode.objects.filter(failed_at__isnull=False).count() == services.MAX_CODES_PER_HOUR
    # The mail server is back: the customer still gets a code, the failed ones never counted.
    with django_capture_on_commit_callbacks(execute=True):
        request_code(client, KNOWN)
    run_queued_tasks()
    assert len(mail.outbox) == 1
    response = client.post(reverse("portal:verify"), {"code": sent_code()})
    assert response["Location"] == reverse("portal:home")


def test_a_code_that_failed_once_is_sent_on_retry(alice, django_capture_on_commit_callbacks):
    client = Client()
    with smtp_down():
        with django_capture_on_commit_callbacks(execute=True):
            request_code(client, KNOWN)
        run_queued_tasks()
    assert mail.outbox == []
    run_queued_tasks(include_future=True)  # the mail server is back for the retry
    assert len(mail.outbox) == 1
    assert SignInCode.objects.get().sent_at is not None
    response = client.post(reverse("portal:verify"), {"code": sent_code()})
    assert response["Location"] == reverse("portal:home")


def test_hourly_limit_counts_sent_codes(alice, django_capture_on_commit_callbacks):
    client = Client()
    for _ in range(services.MAX_CODES_PER_HOUR + 2):
        with django_capture_on_commit_callbacks(execute=True):
            assert request_code(client, KNOWN).status_code == 302
    run_queued_tasks()
    assert len(mail.outbox) == services.MAX_CODES_PER_HOUR


def test_one_network_address_cannot_request_codes_without_end(db, django_capture_on_commit_callbacks):
    for number in range(services.MAX_CODE_REQUESTS_PER_IP_PER_HOUR):
        assert request_code(Client(), f"guess{number}@example.cn").status_code == 302
    response = request_code(Client(), "one-more@example.cn")
    assert response.status_code == 429
    assert "请求过于频繁" in response.content.decode()
    assert request_code(Client(), "one-more@example.cn", ip="198.51.100.1").status_code == 302


def guess_codes(address: str, times: int, ip: str = "203.0.113.7") -> Client:
    client = Client()
    request_code(client, address, ip)
    for _ in range(times):
        client.post(reverse("portal:verify"), {"code": "000000"}, REMOTE_ADDR=ip)
    return client


@override_settings(AXES_FAILURE_LIMIT=3)
def test_guessing_codes_locks_the_address_with_a_clear_message(alice, django_capture_on_commit_callbacks):
    guess_codes(KNOWN, 3, ip="198.51.100.1")
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        request_code(client, KNOWN, ip="198.51.100.2")
    run_queued_tasks()
    response = client.post(reverse("portal:verify"), {"code": sent_code()}, REMOTE_ADDR="198.51.100.2")
    assert response.status_code == 429
    page = response.content.decode()
    assert "错误次数过多" in page
    assert "_auth_user_id" not in client.session
    # Customer service unlocks the address.
    call_command("axes_reset_username", f"portal:{KNOWN}", stdout=open("/dev/null", "w"))  # noqa: SIM115
    response = client.post(reverse("portal:verify"), {"code": sent_code()}, REMOTE_ADDR="198.51.100.2")
    assert response["Location"] == reverse("portal:home")


@override_settings(AXES_FAILURE_LIMIT=3)
def test_guessing_codes_for_many_addresses_locks_the_network_address(
    alice, django_capture_on_commit_callbacks
):
    for number in range(3):
        guess_codes(f"guess{number}@example.cn", 1, ip="203.0.113.50")
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        request_code(client, KNOWN, ip="203.0.113.50")
    run_queued_tasks()
    response = client.post(reverse("portal:verify"), {"code": sent_code()}, REMOTE_ADDR="203.0.113.50")
    assert response.status_code == 429
    assert AccessAttempt.objects.filter(ip_address="203.0.113.50").exists()
