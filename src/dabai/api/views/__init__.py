"""The public REST API: one NinjaAPI, versioned routers under /api/v1/, docs at /api/docs.

Thin, as every view here: authenticate (``auth``), check the scope (``need``), call a selector or the
desk's own service, shape the answer. Every error is the one JSON shape of ``dabai.api.errors``.
"""

import logging

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from dabai.api.auth import TokenAuth
from dabai.api.errors import ApiError, from_validation
from dabai.api.selectors import InvalidCursor
from dabai.api.views import (
    conversations,
    customers,
    filtering,
    followups,
    inbound,
    knowledge,
    topics,
    webhooks,
)

logger = logging.getLogger(__name__)

DESCRIPTION = """
The dabai REST API: conversations (with their tags), messages, customers, the filter's insights, knowledge,
SLA state, departments' follow-ups, the voice-of-the-customer topics, and messages from channels of your own.

**Tokens.** An administrator creates a token in *Admin → API tokens*, choosing its scopes (and optionally an
expiry and teams); the token is shown once. Send it as `Authorization: Bearer dabai_…`. Each token has a rate
limit per minute: past it, `429` with `Retry-After`.

**Personal data** (phone numbers, ID numbers, emails, addresses…) is masked as on the agent's desk unless the
token has `read:pii`; every response that shows it unmasked is written to the audit log.

**Writes** go through the same services as the desk (a reply to a public post that carries personal data is
refused) and are audited under the token's name.

**Errors** share one shape: `{"error": {"code", "message": {"en", "zh"}, "fields": [...]}}`.

**Lists** are paged by cursor: pass the `next_cursor` of one page as `?cursor=` to get the next.

**Webhooks**: subscribe in *Admin → Webhook endpoints* or through `/api/v1/webhooks/endpoints`; deliveries are
signed per the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
"""

CONTAINERS = frozenset({"payload", "filters"})

api = NinjaAPI(
    title="dabai API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/v1/openapi.json",
)


def _render(request: HttpRequest, error: ApiError) -> HttpResponse:
    response = api.create_response(request, error.body(), status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _render(request, exc)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _render(request, from_validation(exc.errors, CONTAINERS))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _render(request, ApiError("unauthenticated"))
    response["WWW-Authenticate"] = 'Bearer realm="dabai"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "bad_request"
    )
    return _render(request, ApiError(code))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _render(request, ApiError("not_found"))


@api.exception_handler(InvalidCursor)
def _invalid_cursor(request: HttpRequest, exc: InvalidCursor) -> HttpResponse:
    return _render(request, ApiError("invalid_cursor"))


@api.exception_handler(Exception)
def _internal_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API %s %s failed", request.method, request.path)
    return _render(request, ApiError("internal_error"))


api.add_router("/v1/", conversations.router)
api.add_router("/v1/", customers.router)
api.add_router("/v1/", knowledge.router)
api.add_router("/v1/", filtering.router)
api.add_router("/v1/", inbound.router)
api.add_router("/v1/", followups.router)
api.add_router("/v1/", topics.router)
api.add_router("/v1/", webhooks.router)


def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/: the API's 404, in its shape (not the site's HTML page)."""
    return _render(request, ApiError("not_found"))
