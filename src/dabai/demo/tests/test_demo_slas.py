"""The demo's service levels are believable (issue 16): at start-up most open conversations are within their
SLA, a few near it and a few past, and the history meets its promises most of the time, not always."""

import pytest
from django.utils import timezone

from dabai.demo.builder import DemoBuilder
from dabai.routing.models import ClockState, SlaBreach, SlaClock
from dabai.routing.selectors import reports


@pytest.mark.django_db
def test_the_demo_starts_with_most_open_work_within_its_sla_and_a_realistic_history():
    DemoBuilder(customers=60, conversations=400, app_parts=False).build()
    now = timezone.now()

    running = list(SlaClock.objects.filter(state=ClockState.RUNNING).values_list("due_at", flat=True))
    past = sum(1 for due in running if due <= now)
    assert len(running) >= 20
    assert past >= 1, "a few customers already wait too long: the wall and the inbox have something to show"
    assert past / len(running) <= 0.25, f"{past} of {len(running)} open clocks already past"

    since, until = reports.period(31)
    overall = reports.attainment_overall(reports.ended_clocks(since, until))
    assert overall.total >= 200
    assert 80 <= overall.rate <= 95, overall
    late = SlaClock.objects.filter(state=ClockState.BREACHED, stopped_at__isnull=False)
    assert SlaBreach.objects.filter(clock__in=late).count() == late.count(), "each late answer has its breach"
    assert all(b.at <= now for b in SlaBreach.objects.all())
