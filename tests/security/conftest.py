"""The outside probe of issue #12, replayed: fixtures shared by every family.

The people come from ``dabai.conftest`` (re-exported here, since ``tests/`` is outside ``src/dabai``); the
webhook signing is the gateway's own (``dabai.channels.sms.sign``), as in the channel tests.
"""

import pytest
from django.test import Client

from dabai.conftest import (  # noqa: F401 (fixtures)
    admin_user,
    agent,
    client_for,
    customer_user,
    department_member,
    hotline,
    online,
    other_agent,
    supervisor,
)

from .doors import SECRET, WECHAT_APP_ID, WECHAT_TOKEN
from .tally import FAILURES, TALLY


@pytest.fixture(autouse=True)
def probe_settings(settings, tmp_path):
    """Webhook secrets, a WeChat account in plaintext mode, media in a temporary folder, a fast password hash
    (the people fixtures set passwords; PBKDF2 would cost seconds per test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DABAI_WEBHOOK_SECRET = SECRET
    settings.DABAI_SMS_SECRET = SECRET
    settings.DABAI_SUPPORT_EMAIL = "kefu@dabai.example"
    settings.DABAI_WECHAT_TOKEN = WECHAT_TOKEN
    settings.DABAI_WECHAT_APP_ID = WECHAT_APP_ID
    settings.DABAI_WECHAT_AES_KEY = ""
    return settings


@pytest.fixture
def as_role(request):
    """``as_role(name)``: a client for one of the probe's roles (``anonymous`` is a fresh client).

    ``force_login`` keeps the suite fast and leaves django-axes' counts alone.
    """

    def make(role: str) -> Client:
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.force_login(request.getfixturevalue(ROLE_FIXTURES[role]))
        return client

    return make


ROLE_FIXTURES = {
    "customer": "customer_user",
    "department": "department_member",
    "other_agent": "other_agent",
    "agent": "agent",
    "supervisor": "supervisor",
    "admin": "admin_user",
}
ROLES = ["anonymous", *ROLE_FIXTURES]


def pytest_terminal_summary(terminalreporter):
    if not TALLY["inputs"]:
        return
    terminalreporter.section("outside probe (issue #12)")
    terminalreporter.write_line(
        f"bad inputs tried: {TALLY['inputs']}, 500s: {TALLY['500s']}, "
        f"acknowledged but lost: {TALLY['acknowledged_but_lost']}"
    )
    for line in FAILURES[:50]:
        terminalreporter.write_line(f"  {line}")
