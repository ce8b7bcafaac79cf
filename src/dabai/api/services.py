"""State changes of API tokens, the per-token rate limit, failed-token throttling and the API's audit trail.

Every write through the API is audited twice over: the desk's service records its own entry with the token's
service account as the actor (whose name is the token's), and the API adds ``api.<action>`` naming the token.
"""

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.http import HttpRequest
from django.utils import timezone

from dabai.accounts.models import AgentProfile, Role, Team, User
from dabai.accounts.services import record_audit
from dabai.api.models import DEFAULT_RATE_LIMIT, ApiToken
from dabai.api.scopes import Scope

TOKEN_PREFIX = "dabai"
WINDOW = timedelta(minutes=1)


class InvalidToken(ValueError):
    """A token that cannot be created as asked (unknown scope, name taken)."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    name: str,
    scopes: list[str],
    *,
    actor: User | None,
    expires_at: datetime | None = None,
    teams: list[Team] | None = None,
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its one-time plaintext (``dabai_<prefix>_<secret>``); only a hash of it is kept."""
    name = name.strip()
    unknown = sorted(set(scopes) - set(Scope.values))
    if not name:
        raise InvalidToken("a token needs a name")
    if unknown:
        raise InvalidToken(f"unknown scopes: {', '.join(unknown)}")
    if ApiToken.objects.filter(name=name).exists():
        raise InvalidToken("a token with this name exists")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        user = User.objects.create(
            username=f"api-{prefix}", role=Role.AGENT, display_name=f"API · {name}"[:100], is_automated=True
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        profile = AgentProfile.objects.create(user=user, can_view_all_teams=not teams)
        if teams:
            profile.teams.set(teams)
        token = ApiToken.objects.create(
            name=name,
            prefix=prefix,
            secret_hash=_digest(secret),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
            rate_limit_per_minute=rate_limit_per_minute,
            service_user=user,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        if teams:
            token.teams.set(teams)
        record_audit(
            actor,
            "api.token_created",
            token,
            {
                "name": name,
                "scopes": token.scopes,
                "expires_at": expires_at.isoformat() if expires_at else None,
                "teams": [t.pk for t in teams or []],
            },
            request=request,
        )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def revoke_token(token: ApiToken, *, actor: User | None, request: HttpRequest | None = None) -> None:
    """The token stops working at once; its row and service account stay for the audit trail."""
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
        User.objects.filter(pk=token.service_user_id).update(is_active=False)
        record_audit(actor, "api.token_revoked", token, {"name": token.name}, request=request)


def token_prefix(raw: str) -> str:
    """The prefix part of a presented token ("" when it has not the token's shape)."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1].isalnum():
        return ""
    return parts[1][:16]


def authenticate(raw: str) -> ApiToken | None:
    """The usable token behind a presented string, or None (unknown, wrong secret, revoked or expired)."""
    prefix = token_prefix(raw)
    if not prefix:
        return None
    token = ApiToken.objects.select_related("service_user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(_digest(raw.split("_", 2)[2]), token.secret_hash):
        return None
    if not token.is_usable or not token.service_user.is_active:
        return None
    return token


def throttle_name(raw: str) -> str:
    """The name django-axes counts failed checks of a token under (with the caller's address beside it)."""
    return f"api-token:{token_prefix(raw) or '-'}"


def token_checks_locked(request: HttpRequest, raw: str) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": throttle_name(raw)})


def record_failed_token(request: HttpRequest, raw: str) -> None:
    """Count a wrong token for its prefix and for the caller's address, as wrong passwords are counted."""
    user_login_failed.send(sender=__name__, credentials={"username": throttle_name(raw)}, request=request)


def count_request(token: ApiToken, now: datetime | None = None) -> int:
    """Count one request in the token's current minute; 0 if allowed, else the seconds until the next minute.

    One UPDATE (the row lock orders concurrent requests) and one read in the same transaction; the same
    write records the last-used time.
    """
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(
            window_count=Case(
                When(window_started_at=window, then=F("window_count") + 1),
                default=Value(1),
                output_field=models.PositiveIntegerField(),
            ),
            window_started_at=window,
            last_used_at=now,
        )
        count = ApiToken.objects.filter(pk=token.pk).values_list("window_count", flat=True).first() or 0
    if count <= token.rate_limit_per_minute:
        return 0
    return max(1, math.ceil((window + WINDOW - now).total_seconds()))


def record_write(
    token: ApiToken,
    action: str,
    obj: models.Model,
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> None:
    """The API's own entry for a write: which token (by name) did what to which object."""
    record_audit(
        token.service_user,
        f"api.{action}",
        obj,
        {"token": token.name, "token_id": token.pk, **(detail or {})},
        request=request,
    )


def record_personal_data_read(
    token: ApiToken, request: HttpRequest | None, what: str, ids: list[int]
) -> None:
    """A response showed personal data unmasked (``read:pii``): which token, which objects, where."""
    if not ids:
        return
    record_audit(
        token.service_user,
        "api.read_personal_data",
        token,
        {"token": token.name, "what": what, "ids": ids[:500], "path": request.path if request else ""},
        request=request,
    )
