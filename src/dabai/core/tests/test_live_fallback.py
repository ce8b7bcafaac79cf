"""Without Redis the worker cannot reach browsers over the in-memory layer, so live pages poll gently."""

import re

from django.urls import reverse


def live_triggers(body: str) -> list[str]:
    return re.findall(r'hx-trigger="(live-refresh[^"]*)"', body)


def test_live_regions_poll_when_events_cannot_cross_processes(db, agent, client_for, settings):
    settings.REDIS_URL = ""
    triggers = live_triggers(client_for(agent).get(reverse("desk:inbox")).content.decode())
    assert triggers and all(f"every {settings.DABAI['LIVE_POLL_SECONDS']}s" in t for t in triggers)


def test_live_regions_rely_on_events_with_redis(db, agent, client_for, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    triggers = live_triggers(client_for(agent).get(reverse("desk:inbox")).content.decode())
    assert triggers and not any("every" in t for t in triggers)
