"""Family 5: CSRF, open redirects, sign-in throttling and security headers (issue #12)."""

from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from dabai.customers.models import ChannelIdentity
from dabai.testing import PASSWORD, CustomerFactory

from . import registry
from .test_access import API_DOORS, PUBLIC, SITE_URLS, _kwargs, _missing_kwargs, _people
from .world import build_world

# Outside callers sign their requests instead of sending a CSRF token (csrf_exempt on purpose).
CSRF_EXEMPT = {
    "channels:email_inbound",
    "channels:sms_inbound",
    "channels:phone_inbound",
    "channels:weibo_inbound",
    "channels:wechat",
    "channels:chat_session",
    # The REST API: a bearer token, never a cookie, so there is no ambient credential to forge with.
    *API_DOORS,
    "api-not-found",
} | registry.union("CSRF_EXEMPT")
PORTAL = {"portal:new", "portal:reply"}


@pytest.fixture
def world(db, hotline, online, agent, other_agent, supervisor, admin_user, customer_user, department_member):
    w = build_world(
        hotline=hotline,
        online=online,
        agent=agent,
        other_agent=other_agent,
        supervisor=supervisor,
        admin_user=admin_user,
        customer_user=customer_user,
    )
    registry.extend_world(w, _people(locals()))
    return w


def test_every_post_without_the_token_is_refused(world, admin_user, customer_user):
    """Every view but the signed webhooks refuses a POST without the CSRF token, whoever is signed in."""
    desk, portal, anonymous = (Client(enforce_csrf_checks=True) for _ in range(3))
    desk.force_login(admin_user)
    portal.force_login(customer_user)
    accepted = []
    for _route, name, converters in SITE_URLS:
        if name in CSRF_EXEMPT:
            continue
        kwargs = {}
        if converters:
            key = "own_conv" if name in PORTAL else "conv_hot"
            (param,) = converters
            target = world.get(key) if param in {"pk", "conversation_pk"} else None
            kwargs = _kwargs(name, converters, target) if target is not None else _missing_kwargs(converters)
        url = reverse(name, kwargs=kwargs)
        client = portal if name.startswith("portal:") else anonymous if name in PUBLIC else desk
        response = client.post(url, {"body": "x", "status": "resolved", "decision": "publish"})
        if response.status_code != 403:
            accepted.append(f"{name} {url}: {response.status_code}")
    assert not accepted, "\n".join(accepted)


EVIL = [
    "//evil.test",
    "https://evil.test",
    "http://evil.test/inbox/",
    "/\\evil.test",
    "\\\\evil.test",
    "https:evil.test",
    " //evil.test",
    "//evil.test@testserver",
    "javascript:alert(1)",
    "/%2F%2Fevil.test",
]


def _off_site(response) -> bool:
    """A redirect a browser would follow to another site (or to a script URL)."""
    location = response.get("Location", "").strip().replace("\\", "/")
    if response.status_code not in {301, 302, 303, 307, 308}:
        return False
    parts = urlsplit(location)
    return bool(parts.scheme or parts.netloc) and parts.netloc not in {"", "testserver"}


@pytest.mark.parametrize("target", EVIL)
def test_no_redirect_leaves_the_site(db, agent, target):
    client = Client()
    signed_in = client.post(
        reverse("accounts:login"), {"username": "agent", "password": PASSWORD, "next": target}
    )
    assert signed_in.status_code == 302 and not _off_site(signed_in), signed_in.get("Location")
    assert not _off_site(client.get(reverse("accounts:login"), {"next": target}))
    for referer in ("", target):
        switched = client.post("/i18n/setlang/", {"language": "en", "next": target}, HTTP_REFERER=referer)
        assert not _off_site(switched), switched.get("Location")
    state = client.post(reverse("routing:agent_state", args=[agent.pk]), {"state": "away", "next": target})
    assert not _off_site(state), state.get("Location")
    logout = client.post(reverse("accounts:logout") + f"?next={target}")
    assert not _off_site(logout), logout.get("Location")
    portal = Client().post(
        reverse("portal:sign_in") + f"?next={target}", {"address": "a@example.cn", "next": target}
    )
    assert not _off_site(portal), portal.get("Location")


LIMIT = 3


@pytest.fixture
def small_limit():
    with override_settings(AXES_FAILURE_LIMIT=LIMIT):
        yield


def _login(username, password, ip):
    return Client().post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_sign_in_is_throttled_per_account(small_limit, agent):
    for number in range(LIMIT):
        _login("agent", "wrong", f"198.51.100.{number + 1}")
    response = _login("agent", PASSWORD, "192.0.2.1")
    assert response.status_code == 429
    assert "_auth_user_id" not in response.client.session


def test_sign_in_is_throttled_per_address(small_limit, supervisor):
    for number in range(LIMIT):
        _login(f"guess-{number}", "wrong", "203.0.113.9")
    assert _login("supervisor", PASSWORD, "203.0.113.9").status_code == 429
    assert _login("supervisor", PASSWORD, "203.0.113.10").status_code == 302


def _portal_at_code_page(address: str, ip: str) -> Client:
    client = Client(REMOTE_ADDR=ip)
    assert client.post(reverse("portal:sign_in"), {"address": address}).status_code == 302
    return client


@pytest.fixture
def portal_customer(db):
    customer = CustomerFactory()
    ChannelIdentity.objects.create(customer=customer, channel="email", external_id="kehu@example.cn")
    return customer


def test_portal_codes_are_throttled_per_address(small_limit, portal_customer):
    for number in range(LIMIT):
        client = _portal_at_code_page("kehu@example.cn", f"198.51.100.{number + 1}")
        client.post(reverse("portal:verify"), {"code": "000000"})
    client = _portal_at_code_page("kehu@example.cn", "192.0.2.7")
    assert client.post(reverse("portal:verify"), {"code": "123456"}).status_code == 429


def test_portal_codes_are_throttled_per_network_address(small_limit, portal_customer):
    for number in range(LIMIT):
        client = _portal_at_code_page(f"x{number}@example.cn", "203.0.113.77")
        client.post(reverse("portal:verify"), {"code": "000000"})
    client = _portal_at_code_page("kehu@example.cn", "203.0.113.77")
    assert client.post(reverse("portal:verify"), {"code": "123456"}).status_code == 429


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("anonymous", "/accounts/login/"),
        ("anonymous", "/help/"),
        ("anonymous", "/portal/sign-in/"),
        ("anonymous", "/channels/chat/demo/"),
        ("supervisor", "/inbox/"),
        ("supervisor", "/kb/"),
        ("supervisor", "/routing/"),
        ("department", "/voc/cases/"),
        ("customer", "/portal/"),
    ],
)
def test_pages_carry_a_content_security_policy(world, as_role, role, url):
    response = as_role(role).get(url)
    assert response.status_code == 200
    policy = response.get("Content-Security-Policy", "")
    assert "script-src" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy


def test_attachments_are_downloads_with_nosniff(world, as_role):
    desk = as_role("supervisor")
    for name in ("mail_hot", "draft_file"):
        file = world[name].file
        response = desk.get("/media/" + file.name)
        assert response.status_code == 200, file.name
        assert response["X-Content-Type-Options"] == "nosniff"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment") or response["Content-Type"].startswith("image/"), (
            disposition
        )
        assert "text/html" not in response["Content-Type"]
        assert "sandbox" in response.get("Content-Security-Policy", "")
