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


def send_text(openid: str, text: str) -> str:
    """Reply through the customer-service message API; an expired token is refreshed once."""
    data = {"touser": openid, "msgtype": "text", "text": {"content": text}}
    base = conf.wechat()["api_base"]
    try:
        _call(f"{base}/cgi-bin/message/custom/send?access_token={access_token()}", data)
    except WeChatError as exc:
        if exc.code not in TOKEN_EXPIRED_CODES:
            raise
        _call(f"{base}/cgi-bin/message/custom/send?access_token={access_token(refresh=True)}", data)
    return ""
