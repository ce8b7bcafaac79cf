"""Registering, the waiting list and its offers: nobody is over-booked, a freed seat is offered once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from dabai.programs.models import Registration, RegStatus, SessionStatus
from dabai.programs.services import seats
from dabai.testing import run_queued_tasks


def _public(session, name, email, **kwargs):
    return seats.register_public(session, name=name, email=email, consent=True, **kwargs).registration


def test_registering_twice_is_one_registration(training, make_member):
    person = make_member("王产品")
    first = seats.register_staff(training, person, motivation="想了解用户")
    again = seats.register_staff(training, person)
    assert first.pk == again.pk
    assert Registration.objects.filter(session=training).count() == 1


def test_a_customer_registering_twice_with_the_same_address_is_one_registration(meetup):
    first = seats.register_public(meetup, name="韩小姐", email="Han@Example.cn", consent=True)
    again = seats.register_public(meetup, name="韩小姐", email="han@example.cn ", consent=True)
    assert first.created and not again.created
    assert again.registration.pk == first.registration.pk
    assert Registration.objects.filter(session=meetup).count() == 1


def test_without_consent_nothing_is_stored(meetup):
    with pytest.raises(seats.SeatError):
        seats.register_public(meetup, name="张先生", email="zhang@example.cn", consent=False)
    assert not Registration.objects.exists()


def test_a_full_meetup_puts_people_on_the_waiting_list_in_order(meetup):
    people = [_public(meetup, f"客户{i}", f"c{i}@example.cn") for i in range(4)]
    assert [p.status for p in people] == ["confirmed", "confirmed", "waiting", "waiting"]
    assert [p.waiting_position for p in people[2:]] == [1, 2]


def test_a_cancelled_seat_goes_to_the_waiting_list_exactly_once(meetup):
    first, _, third, fourth = [_public(meetup, f"客户{i}", f"c{i}@example.cn") for i in range(4)]
    assert seats.cancel(first)
    assert not seats.cancel(first)  # the second click changes nothing
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert third.status == RegStatus.OFFERED and third.offer_expires_at > timezone.now()
    assert fourth.status == RegStatus.WAITING
    assert Registration.objects.filter(session=meetup, status__in=["confirmed", "offered"]).count() == 2


def test_an_expired_offer_passes_to_the_next_person(meetup, committed):
    first, _, third, fourth = [_public(meetup, f"客户{i}", f"c{i}@example.cn") for i in range(4)]
    with committed():
        seats.cancel(first)
    run_queued_tasks()  # the mails; the deadline task waits for its time
    third.refresh_from_db()
    assert third.status == RegStatus.OFFERED
    Registration.objects.filter(pk=third.pk).update(offer_expires_at=timezone.now() - timedelta(seconds=1))
    run_queued_tasks(include_future=True)  # time passes: the deadline task runs
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert third.status == RegStatus.DECLINED
    assert fourth.status == RegStatus.OFFERED
    with pytest.raises(seats.SeatError):
        seats.accept(third)


def test_an_offer_taken_in_time_confirms_the_seat_and_its_deadline_task_then_does_nothing(meetup):
    first, _, third = [_public(meetup, f"客户{i}", f"c{i}@example.cn") for i in range(3)]
    seats.cancel(first)
    seats.accept(third)
    run_queued_tasks(include_future=True)
    third.refresh_from_db()
    assert third.status == RegStatus.CONFIRMED and third.offer_expires_at is None


def test_the_confirmation_links_to_the_persons_own_page_and_the_waiting_list_is_told_so(meetup, committed):
    with committed():
        confirmed = _public(meetup, "韩小姐", "han@example.cn")
        _public(meetup, "张先生", "zhang@example.cn")
        waiting = _public(meetup, "李女士", "li@example.cn")
    run_queued_tasks()
    by_to = {m.to[0]: m for m in mail.outbox}
    assert confirmed.token in by_to["han@example.cn"].body
    assert "报名成功" in by_to["han@example.cn"].subject
    assert "候补" in by_to["li@example.cn"].subject and waiting.token in by_to["li@example.cn"].body


def test_check_in_marks_a_seat_holder_present_and_refuses_the_waiting_list(meetup, supervisor):
    confirmed = _public(meetup, "韩小姐", "han@example.cn")
    _public(meetup, "张先生", "zhang@example.cn")
    waiting = _public(meetup, "李女士", "li@example.cn")
    assert seats.check_in(confirmed, actor=supervisor)
    assert confirmed.status == RegStatus.ATTENDED and confirmed.checked_in_at is not None
    assert not seats.check_in(waiting, actor=supervisor)


def test_staff_cannot_register_once_registration_is_closed(training, make_member, supervisor):
    seats.set_status(training, SessionStatus.SELECTED, actor=supervisor)
    with pytest.raises(seats.SeatError):
        seats.register_staff(training, make_member("迟到者"))
