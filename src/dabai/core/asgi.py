"""An ASGI handler for a project whose views are all synchronous.

Django's own ASGI handler runs each middleware's ``process_request``/``process_response`` through its own
``sync_to_async`` hop: with our nine middlewares that is about twenty thread switches per request, several
milliseconds that capped a webhook burst at ~160 requests/s on two cores. Here the whole middleware chain
and the view run in one hop to the sync thread, as under WSGI, while WebSockets stay on Channels.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
