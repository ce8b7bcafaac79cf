"""Bearer tokens for django-ninja: who is calling, within their rate limit, with which scopes."""

from django.http import HttpRequest
from ninja.security import HttpBearer

from dabai.api import services
from dabai.api.errors import ApiError
from dabai.api.models import ApiToken
from dabai.api.scopes import granted

LOCKED_RETRY_AFTER = "900"


class TokenAuth(HttpBearer):
    """``Authorization: Bearer dabai_<prefix>_<secret>``. Wrong tokens are counted like wrong passwords
    (per prefix and per address, django-axes); each good request counts against the token's rate limit."""

    openapi_description = "An API token created by an administrator (Admin → API tokens); shown once."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        if services.token_checks_locked(request, token):
            raise ApiError("too_many_failures", headers={"Retry-After": LOCKED_RETRY_AFTER})
        found = services.authenticate(token)
        if found is None:
            services.record_failed_token(request, token)
            return None
        wait = services.count_request(found)
        if wait:
            raise ApiError("rate_limited", headers={"Retry-After": str(wait)})
        request.api_token = found
        return found


def need(request: HttpRequest, scope: str) -> ApiToken:
    """The calling token, if it holds ``scope``; else a 403 naming the scope."""
    token: ApiToken = request.auth
    if not granted(token.scopes, scope):
        raise ApiError("insufficient_scope", params={"scope": scope})
    return token
