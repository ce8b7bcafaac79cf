"""Channel settings: secrets and endpoints come from the environment, tests override them with ``settings``.

Each accessor reads ``django.conf.settings`` with a default taken from ``os.environ``, once per name: the
doors ask on every delivery (the WeChat check alone asked a dozen times, a fifth of its time spent in
``settings`` misses and environment look-ups). Neither changes while the process runs; a changed setting
(``override_settings``, pytest-django's ``settings``) empties the memo through ``setting_changed``.
"""

import os
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

_MISSING = object()
_memo: dict[tuple[str, Any], Any] = {}


def _get(name: str, default: Any = "") -> Any:
    value = _memo.get((name, default), _MISSING)
    if value is _MISSING:
        value = _memo[(name, default)] = getattr(settings, name, os.environ.get(name, default))
    return value


def forget(**kwargs: Any) -> None:
    """Read every setting afresh from now on (a test changed one)."""
    _memo.clear()


setting_changed.connect(forget, dispatch_uid="dabai.channels.conf.forget")


def get_int(name: str, default: int) -> int:
    return int(_get(name, default))


def webhook_secret() -> str:
    """HMAC secret shared with the email relay, SMS gateway, call centre and Weibo bridge."""
    return str(_get("DABAI_WEBHOOK_SECRET", ""))


def sms_secret() -> str:
    return str(_get("DABAI_SMS_SECRET", "")) or webhook_secret()


def max_payload_bytes() -> int:
    return get_int("DABAI_MAX_PAYLOAD_BYTES", 10 * 1024 * 1024)


def wechat() -> dict[str, str]:
    return {
        "token": str(_get("DABAI_WECHAT_TOKEN", "")),
        "app_id": str(_get("DABAI_WECHAT_APP_ID", "")),
        "app_secret": str(_get("DABAI_WECHAT_APP_SECRET", "")),
        "aes_key": str(_get("DABAI_WECHAT_AES_KEY", "")),
        "api_base": str(_get("DABAI_WECHAT_API_BASE", "https://api.weixin.qq.com")),
    }


def wechat_max_age_seconds() -> int:
    """How far a callback's timestamp may be from our clock; nonces are remembered for as long."""
    return get_int("DABAI_WECHAT_MAX_AGE_SECONDS", 300)


def sms_gateway() -> dict[str, str]:
    return {"url": str(_get("DABAI_SMS_GATEWAY_URL", "")), "key": str(_get("DABAI_SMS_GATEWAY_KEY", ""))}


def weibo() -> dict[str, str]:
    return {
        "api_base": str(_get("DABAI_WEIBO_API_BASE", "https://api.weibo.com")),
        "access_token": str(_get("DABAI_WEIBO_ACCESS_TOKEN", "")),
    }


def imap() -> dict[str, Any]:
    return {
        "host": str(_get("DABAI_IMAP_HOST", "")),
        "port": get_int("DABAI_IMAP_PORT", 993),
        "user": str(_get("DABAI_IMAP_USER", "")),
        "password": str(_get("DABAI_IMAP_PASSWORD", "")),
        "ssl": str(_get("DABAI_IMAP_SSL", "1")).lower() in {"1", "true", "yes", "on"},
        "mailbox": str(_get("DABAI_IMAP_MAILBOX", "INBOX")),
        "interval": get_int("DABAI_IMAP_POLL_SECONDS", 60),
    }


def sweep_interval_seconds() -> int:
    return get_int("DABAI_SWEEP_SECONDS", 60)


def sweep_grace_seconds() -> int:
    """How old an unprocessed payload or unanalysed message must be before the sweep queues it again."""
    return get_int("DABAI_SWEEP_GRACE_SECONDS", 120)


def support_address() -> str:
    return str(_get("DABAI_SUPPORT_EMAIL", "")) or settings.DEFAULT_FROM_EMAIL


def chat_cookie_name() -> str:
    return "dabai_visitor"


def widget_origins() -> list[str]:
    """Websites that embed the chat widget (``DABAI_WIDGET_ORIGINS``, comma-separated).

    Each entry is an origin such as ``https://shop.example.cn`` (scheme, host and port must match), or
    ``https://.example.cn`` for the domain and all its subdomains. dabai's own pages are always allowed.
    """
    value = _get("DABAI_WIDGET_ORIGINS", "")
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip().rstrip("/") for item in items if item.strip()]


def chat_sessions_per_ip() -> int:
    """How many new chat visitors one address may start per throttle window."""
    return get_int("DABAI_CHAT_SESSIONS_PER_IP", 20)


def chat_session_window_seconds() -> int:
    return get_int("DABAI_CHAT_SESSION_WINDOW_SECONDS", 600)
