"""An ASGI handler for a project whose views are all synchronous, with a bare lane for machine doors.

Django's own ASGI handler runs each middleware's ``process_request``/``process_response`` through its own
``sync_to_async`` hop: with our nine middlewares that is about twenty thread switches per request, several
milliseconds that capped a webhook burst at ~160 requests/s on two cores. Here the whole middleware chain
and the view run in one hop to the sync thread, as under WSGI, while WebSockets stay on Channels.

Views marked ``@door`` (the signed webhooks of the SMS gateway, mail relay, call centre, Weibo bridge and
WeChat) skip the middleware chain altogether: a machine posting a signed body has no session, no sign-in,
no CSRF token, no language and no page to protect with CSP or framing rules, and a profile of the webhook
burst showed that chain as the largest part of a door's time. What still applies to them is applied here:
the host must be one we serve (``ALLOWED_HOSTS``) and the answer is never sniffed or framed.
"""

from collections.abc import Callable
from functools import lru_cache

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, get_resolver, set_urlconf
from django.utils.log import log_response

DOOR_ATTRIBUTE = "dabai_door"


def door(view: Callable) -> Callable:
    """Mark a view as a machine door: served without the middleware chain (see the module docstring).

    Only for views that check their caller themselves (a signature over the exact body) and keep no state
    of a browser's: no session, user, CSRF token, messages or translated pages.
    """
    setattr(view, DOOR_ATTRIBUTE, True)
    return view


@lru_cache(maxsize=512)
def is_door(path: str) -> bool:
    """Whether ``path`` resolves to a ``@door`` view (cached: the URL configuration does not change)."""
    try:
        match = get_resolver().resolve(path)
    except Resolver404:
        return False
    return getattr(match.func, DOOR_ATTRIBUTE, False)


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._door_chain = convert_exception_to_response(self._get_door_response)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        if is_door(request.path_info):
            return await sync_to_async(self.get_door_response, thread_sensitive=True)(request)
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    def get_door_response(self, request: HttpRequest) -> HttpResponseBase:
        """The door's view alone, with the two guarantees of the middleware that still concern a machine."""
        set_urlconf(settings.ROOT_URLCONF)
        response = self._door_chain(request)
        response._resource_closers.append(request.close)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.status_code >= 400:
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        return response

    def _get_door_response(self, request: HttpRequest) -> HttpResponseBase:
        request.get_host()  # DisallowedHost (a 400) for a host we do not serve, as CommonMiddleware does
        return self._get_response(request)


__all__ = ["DisallowedHost", "SyncChainASGIHandler", "door", "is_door"]
