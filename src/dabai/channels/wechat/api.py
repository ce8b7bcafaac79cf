"""The Official Account's customer-service API: how agent replies reach a WeChat follower."""

import json
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from dabai.channels import conf
from dabai.channels.models import AccessToken

TOKEN_EXPIRED_CODES = {40001, 40014, 42001}
# Worth another try later: "system busy" and the account's rate limits.
RETRYABLE_CODES = {-1, 45009, 45011, 45047}
UNFOLLOWED = 43004  # the follower unsubscribed from the account: never send to them again


class WeChatError(RuntimeError):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"WeChat error {code}: {text}")
        self.code = code


def _call(url: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps(data, ensure_ascii=False).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            result = json.loads(response.read().decode())
    except (TimeoutError, OSError) as exc:
        raise ConnectionError(f"WeChat API unreachable: {exc}") from exc
    if result.get("errcode"):
        raise WeChatError(int(result["errcode"]), result.get("errmsg", ""))
    return result


def access_token(*, refresh: bool = False) -> str:
    """The account's access token, shared in the database by every worker until shortly before expiry."""
    settings_ = conf.wechat()
    name = f"wechat:{settings_['app_id']}"
    cached = AccessToken.objects.filter(name=name, expires_at__gt=timezone.now()).first()
    if cached is not None and not refresh:
        return cached.token
    query = urllib.parse.urlencode(
        {"grant_type": "client_credential", "appid": settings_["app_id"], "secret": settings_["app_secret"]}
    )
    result = _call(f"{settings_['api_base']}/cgi-bin/token?{query}")
    expires_at = timezone.now() + timedelta(seconds=int(result.get("expires_in", 7200)) - 300)
    with transaction.atomic():
        AccessToken.objects.update_or_create(
            name=name, defaults={"token": result["access_token"], "expires_at": expires_at}
        )
    return result["access_token"]


def _post(path: str, data: dict[str, Any]) -> dict[str, Any]:
    """POST to the account's API with its access token; an expired token is refreshed once."""
    base = conf.wechat()["api_base"]
    try:
        return _call(f"{base}{path}?access_token={access_token()}", data)
    except WeChatError as exc:
        if exc.code not in TOKEN_EXPIRED_CODES:
            raise
        return _call(f"{base}{path}?access_token={access_token(refresh=True)}", data)


def send_text(openid: str, text: str) -> str:
    """Reply through the customer-service message API (within the 48-hour window)."""
    _post("/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": text}})
    return ""


def send_template(payload: dict[str, Any]) -> str:
    """Send a template message (``TemplateMessage.payload``); returns WeChat's ``msgid``."""
    return str(_post("/cgi-bin/message/template/send", payload).get("msgid", ""))
