from django.conf import settings
from django.http import HttpRequest


def live(request: HttpRequest) -> dict:
    """Every page's live regions use the same trigger (see ``live_trigger``)."""
    return {"live_trigger": live_trigger()}


def live_trigger() -> str:
    """The htmx trigger for live regions.

    With Redis, events from the worker (analysis done, SLA warnings, bot answers) reach every web process.
    The default in-memory layer only carries events raised inside the web process itself, so pages also
    poll gently to pick up what the worker did.
    """
    if settings.REDIS_URL:
        return "live-refresh"
    return f"live-refresh, every {settings.DABAI['LIVE_POLL_SECONDS']}s"
