"""Guessing passwords is throttled per account and per address, with a clear message and an admin unlock."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from dabai.testing import PASSWORD

LIMIT = 5


def attempt(client: Client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def guess(username: str, times: int, ip: str = "203.0.113.7") -> None:
    client = Client()
    for _ in range(times):
        attempt(client, username, "wrong-password", ip)


@pytest.fixture(autouse=True)
def small_limit():
    with override_settings(AXES_FAILURE_LIMIT=LIMIT):
        yield


def test_right_password_signs_in_after_a_few_mistakes(agent):
    guess("agent", LIMIT - 1)
    response = attempt(Client(), "agent", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("site:home")


def test_account_locks_after_repeated_wrong_passwords_even_from_new_addresses(agent):
    for number in range(LIMIT):  # an attacker rotating addresses
        attempt(Client(), "agent", "wrong-password", ip=f"198.51.100.{number + 1}")
    response = attempt(Client(), "agent", PASSWORD, ip="192.0.2.200")
    assert response.status_code == 429
    assert "_auth_user_id" not in response.client.session


def test_address_locks_after_guessing_many_accounts(agent, supervisor):
    for number in range(LIMIT):  # one address spraying different user names
        attempt(Client(), f"guess-{number}", "wrong-password", ip="203.0.113.99")
    response = attempt(Client(), "supervisor", PASSWORD, ip="203.0.113.99")
    assert response.status_code == 429
    # Other addresses are not affected.
    assert attempt(Client(), "supervisor", PASSWORD, ip="203.0.113.100").status_code == 302


def test_lockout_shows_the_sign_in_page_with_a_clear_message_in_chinese_and_english(agent):
    guess("agent", LIMIT)
    response = attempt(Client(), "agent", PASSWORD)
    page = response.content.decode()
    assert response.status_code == 429
    assert 'data-testid="login-form"' in page  # the sign-in page, not a bare error page
    assert "登录失败次数过多" in page
    assert 'data-testid="lockout"' in page
    english = Client()
    english.cookies["django_language"] = "en"
    with translation.override("en"):
        page = attempt(english, "agent", PASSWORD).content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "administrator" in page


def test_the_attempt_that_reaches_the_limit_already_says_so(agent):
    guess("agent", LIMIT - 1)
    response = attempt(Client(), "agent", "wrong-password")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_admin_unlocks_an_account_in_the_admin(agent, admin_user, client_for):
    guess("agent", LIMIT)
    assert attempt(Client(), "agent", PASSWORD).status_code == 429
    admin = client_for(admin_user)
    changelist = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200
    assert "agent" in changelist.content.decode()
    ids = list(AccessAttempt.objects.filter(username="agent").values_list("pk", flat=True))
    admin.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not AccessAttempt.objects.filter(username="agent").exists()
    assert attempt(Client(), "agent", PASSWORD).status_code == 302


def test_admin_unlocks_an_account_from_the_command_line(agent):
    guess("agent", LIMIT)
    assert attempt(Client(), "agent", PASSWORD).status_code == 429
    call_command("axes_reset_username", "agent", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert attempt(Client(), "agent", PASSWORD).status_code == 302


def test_admin_site_sign_in_is_throttled_too(admin_user):
    for _ in range(LIMIT):
        Client().post(
            reverse("admin:login"), {"username": "admin", "password": "nope"}, REMOTE_ADDR="203.0.113.5"
        )
    response = Client().post(
        reverse("admin:login"), {"username": "admin", "password": PASSWORD}, REMOTE_ADDR="192.0.2.9"
    )
    assert response.status_code == 429
