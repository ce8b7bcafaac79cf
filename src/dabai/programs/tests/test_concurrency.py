"""A full meet-up never over-books: N people press "register" at the same moment for M seats.

Each request runs in its own thread with its own database connection through the real view; the session
row is locked while the seats are counted. On PostgreSQL exactly M are confirmed and the rest wait in line;
SQLite serialises writers (a request that finds the database locked fails and stores nothing), so there the
test holds the same never-over-booked rule over whatever got through.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dabai.programs.models import Frequency, Kind, Registration, RegStatus
from dabai.programs.services import seats

PEOPLE = 24
SEATS = 5


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_registrations_never_over_book(settings):
    settings.DABAI_PROGRAMS_PUBLIC_REQUESTS = 1000
    programme = seats.create_programme(name="用户见面会", kind=Kind.MEETUP, frequency=Frequency.QUARTERLY)
    start = timezone.now() + timedelta(days=7)
    session = seats.create_session(
        programme,
        title="并发测试",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="会场",
        capacity=SEATS,
    )
    url = reverse("programs:meetup", args=[session.pk])
    barrier = threading.Barrier(PEOPLE)
    codes: list[int] = []

    def press(number: int) -> None:
        client = Client(raise_request_exception=False)
        try:
            barrier.wait()
            response = client.post(
                url,
                {"name": f"客户{number}", "email": f"p{number}@example.cn", "consent": "on"},
                REMOTE_ADDR=f"198.51.100.{number + 1}",
            )
            codes.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(n,)) for n in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    confirmed = Registration.objects.filter(session=session, status=RegStatus.CONFIRMED).count()
    waiting = Registration.objects.filter(session=session, status=RegStatus.WAITING)
    stored = Registration.objects.filter(session=session).count()
    print(
        f"\n{connection.vendor}: {PEOPLE} parallel requests for {SEATS} seats -> {confirmed} confirmed, "
        f"{waiting.count()} waiting, {codes.count(302)} answered, {len(codes) - codes.count(302)} failed"
    )
    assert confirmed <= SEATS
    assert stored >= codes.count(302)  # every answered request stored its one registration
    assert sorted(waiting.values_list("waiting_position", flat=True)) == list(range(1, waiting.count() + 1))
    if connection.vendor == "postgresql":
        assert codes.count(302) == PEOPLE
        assert confirmed == SEATS and waiting.count() == PEOPLE - SEATS
