"""Without Redis the worker cannot reach browsers over the in-memory layer, so live pages poll gently."""

from django.urls import reverse


def test_live_regions_poll_when_events_cannot_cross_processes(db, agent, client_for, settings):
    settings.REDIS_URL = ""
    body = client_for(agent).get(reverse("desk:inbox")).content.decode()
    assert f'hx-trigger="live-refresh, every {settings.DABAI["LIVE_POLL_SECONDS"]}s"' in body


def test_live_regions_rely_on_events_with_redis(db, agent, client_for, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    body = client_for(agent).get(reverse("desk:inbox")).content.decode()
    assert 'hx-trigger="live-refresh"' in body
