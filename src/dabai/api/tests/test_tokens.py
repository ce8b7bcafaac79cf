"""Tokens belong to the organisation: named, scoped, shown once, stored hashed, revocable, rate-limited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dabai.accounts.models import AuditEntry
from dabai.api import services
from dabai.api.models import ApiToken
from dabai.api.tests.conftest import ApiClient
from dabai.testing import ConversationFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/conversations"


def test_a_token_is_stored_only_as_a_hash_and_works_until_revoked(make_token, admin_user):
    token, plaintext = make_token(["read:conversations"], name="CRM sync")
    assert plaintext.startswith(f"dabai_{token.prefix}_")
    secret = plaintext.split("_", 2)[2]
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in stored.secret_hash and plaintext not in str(stored.__dict__)
    assert stored.service_user.is_automated and not stored.service_user.has_usable_password()
    assert str(stored.service_user) == "API · CRM sync"

    assert ApiClient(plaintext).get(LIST).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None

    services.revoke_token(token, actor=admin_user)
    response = ApiClient(plaintext).get(LIST)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert AuditEntry.objects.filter(action="api.token_revoked", object_id=str(token.pk)).exists()


def test_an_expired_token_and_a_wrong_secret_are_refused_in_the_one_error_shape(make_token):
    _, expired = make_token(["read:conversations"], expires_at=timezone.now() - timedelta(minutes=1))
    _, good = make_token(["read:conversations"])
    wrong = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for presented in (expired, wrong, "not-a-token", ""):
        response = ApiClient(presented).get(LIST)
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "unauthenticated"
        assert error["message"]["en"].startswith("A valid API token")
        assert "令牌" in error["message"]["zh"]
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_missing_scope_is_a_403_naming_it(api_for):
    response = api_for("read:customers").get(LIST)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "insufficient_scope"
    assert "read:conversations" in error["message"]["en"] and "read:conversations" in error["message"]["zh"]


def test_admin_scope_implies_all_but_personal_data(api_for):
    client = api_for("admin")
    assert client.get(LIST).status_code == 200
    conversation = ConversationFactory(subject="回电 13812345678")
    response = client.get(f"{LIST}/{conversation.pk}")
    assert response.json()["subject"] == "回电 138****5678"


def test_past_the_rate_limit_a_token_gets_429_with_retry_after(api_for):
    client = api_for("read:conversations", rate_limit_per_minute=3)
    assert [client.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(LIST)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    other = api_for("read:conversations", rate_limit_per_minute=3)
    assert other.get(LIST).status_code == 200  # per token


def test_the_limit_counts_per_minute_window(make_token):
    token, _ = make_token(["read:conversations"], rate_limit_per_minute=2)
    start = timezone.now().replace(second=10, microsecond=0)
    assert services.count_request(token, start) == 0
    assert services.count_request(token, start + timedelta(seconds=5)) == 0
    assert services.count_request(token, start + timedelta(seconds=20)) == 30
    assert services.count_request(token, start + timedelta(minutes=1)) == 0


def test_wrong_tokens_are_throttled_like_wrong_passwords(make_token, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _, good = make_token(["read:conversations"])
    wrong = ApiClient(good[:-4] + "ZZZZ")
    codes = [wrong.get(LIST).status_code for _ in range(4)]
    assert codes[:2] == [401, 401]
    assert codes[-1] == 429
    assert wrong.get(LIST).json()["error"]["code"] == "too_many_failures"


def test_the_admin_shows_a_new_token_once_and_can_revoke_it(admin_user, client_for):
    browser = client_for(admin_user)
    response = browser.post(
        "/admin/api/apitoken/add/",
        {
            "name": "BI export",
            "scopes": ["read:conversations", "read:insights"],
            "rate_limit_per_minute": 600,
        },
    )
    assert response.status_code == 200, response.content[:2000]
    token = ApiToken.objects.get(name="BI export")
    plaintext = response.context["plaintext"]
    assert plaintext.startswith(f"dabai_{token.prefix}_") and plaintext in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert token.scopes == ["read:conversations", "read:insights"]
    assert ApiClient(plaintext).get(LIST).status_code == 200

    page = browser.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert plaintext not in page and token.prefix in page

    browser.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert ApiClient(plaintext).get(LIST).status_code == 401
