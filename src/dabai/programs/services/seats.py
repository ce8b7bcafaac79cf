"""Programmes, sessions and seats: registering, cancelling, the waiting list and its offers, check-in.

Every change of who holds a seat runs with the session row locked (``select_for_update``; SQLite serialises
writers anyway), so concurrent registrations never over-book and a freed seat is offered exactly once.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.core.tasking import enqueue_on_commit
from dabai.programs.models import (
    SEAT_HOLDING,
    AgendaItem,
    Kind,
    Programme,
    Registration,
    RegStatus,
    Session,
    SessionStatus,
)


class SeatError(ValueError):
    """A change the session's rules do not allow (closed, not on offer, …); the message says why."""


def create_programme(
    *, name: str, kind: str, frequency: str, description: str = "", quotas=None
) -> Programme:
    return Programme.objects.create(
        name=name, kind=kind, frequency=frequency, description=description, quotas=dict(quotas or {})
    )


def create_session(
    programme: Programme,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str,
    capacity: int,
    room: str = "",
    changes_since_last: str = "",
    offer_hours: int = 48,
) -> Session:
    if ends_at <= starts_at:
        raise SeatError(_("a session must end after it starts"))
    if capacity < 1:
        raise SeatError(_("a session needs at least one seat"))
    return Session.objects.create(
        programme=programme,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        room=room,
        capacity=capacity,
        changes_since_last=changes_since_last,
        offer_hours=offer_hours,
    )


def add_agenda_item(
    session: Session, *, starts_at: datetime, ends_at: datetime, kind: str, title: str
) -> AgendaItem:
    return AgendaItem.objects.create(
        session=session, starts_at=starts_at, ends_at=ends_at, kind=kind, title=title
    )


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def _locked(session: Session) -> Session:
    return Session.objects.select_for_update().get(pk=session.pk)


def held_seats(session: Session) -> int:
    return Registration.objects.filter(session=session, status__in=SEAT_HOLDING).count()


def _next_waiting_position(session: Session) -> int:
    top = Registration.objects.filter(session=session).aggregate(top=Max("waiting_position"))["top"]
    return (top or 0) + 1


def _first_timer(session: Session, *, user: User | None = None, person_key: str = "") -> bool:
    earlier = Registration.objects.filter(
        session__programme__kind=session.programme.kind, status=RegStatus.ATTENDED
    ).exclude(session=session)
    if user is not None:
        return not earlier.filter(user=user).exists()
    return not earlier.filter(person_key=person_key).exists()


def register_staff(session: Session, user: User, *, motivation: str = "") -> Registration:
    """A staff member's wish to take part; organisers select later. Registering twice is one registration."""
    if session.status != SessionStatus.OPEN:
        raise SeatError(_("registration for this session is closed"))
    existing = Registration.objects.filter(session=session, person_key=f"user:{user.pk}").first()
    if existing is not None:
        if existing.status in {RegStatus.CANCELLED, RegStatus.DECLINED}:
            Registration.objects.filter(pk=existing.pk).update(
                status=RegStatus.REGISTERED, motivation=motivation
            )
            existing.refresh_from_db()
        return existing
    try:
        with transaction.atomic():
            return Registration.objects.create(
                session=session,
                user=user,
                person_key=f"user:{user.pk}",
                name=str(user),
                email=user.email,
                department=user.department,
                motivation=motivation,
                first_timer=_first_timer(session, user=user),
                token=_new_token(),
                consent_at=timezone.now(),
            )
    except IntegrityError:  # the same person, twice at once
        return Registration.objects.get(session=session, person_key=f"user:{user.pk}")


@dataclass(frozen=True)
class PublicSignUp:
    registration: Registration
    created: bool


def person_key_for(email: str, phone: str) -> str:
    email = email.strip().lower()
    return f"email:{email}" if email else f"phone:{''.join(c for c in phone if c.isdigit())}"


def register_public(
    session: Session, *, name: str, email: str = "", phone: str = "", consent: bool, notify: bool = True
) -> PublicSignUp:
    """A customer on the public page of a meet-up: a seat while there is one, else the waiting list.

    Without consent to the use of their data nothing is stored. The same email (or phone) again is the same
    registration. The session row is locked while the seats are counted, so N parallel requests for M seats
    confirm exactly M.
    """
    if not consent:
        raise SeatError(_("consent to the use of your data is needed to register"))
    if not (email.strip() or phone.strip()):
        raise SeatError(_("an email address or a mobile number is needed"))
    key = person_key_for(email, phone)
    with transaction.atomic():
        locked = _locked(session)
        if locked.status != SessionStatus.OPEN or locked.programme.kind != Kind.MEETUP:
            raise SeatError(_("registration for this session is closed"))
        existing = Registration.objects.filter(session=locked, person_key=key).first()
        if existing is not None and existing.status not in {RegStatus.CANCELLED, RegStatus.DECLINED}:
            return PublicSignUp(existing, False)
        seat = held_seats(locked) < locked.capacity
        fields = {
            "name": name.strip()[:100],
            "email": email.strip().lower(),
            "phone": phone.strip(),
            "status": RegStatus.CONFIRMED if seat else RegStatus.WAITING,
            "waiting_position": None if seat else _next_waiting_position(locked),
            "consent_at": timezone.now(),
            "first_timer": _first_timer(locked, person_key=key),
        }
        if existing is not None:
            Registration.objects.filter(pk=existing.pk).update(**fields)
            existing.refresh_from_db()
            registration = existing
        else:
            registration = Registration.objects.create(
                session=locked, person_key=key, token=_new_token(), **fields
            )
        if notify:
            _notify(registration, "confirmation" if seat else "waiting")
    return PublicSignUp(registration, True)


def _notify(registration: Registration, kind: str) -> None:
    from dabai.programs import tasks

    enqueue_on_commit(tasks.send_programme_mail, registration.pk, kind)
    if kind in {"confirmation", "offer"} and registration.phone and not registration.user_id:
        enqueue_on_commit(tasks.send_programme_sms, registration.pk, kind)


def cancel(registration: Registration, *, actor: User | None = None) -> bool:
    """The person gives up their place. A freed seat goes to the waiting list exactly once.

    Returns False when there was nothing to cancel (already cancelled: the second click changes nothing).
    """
    with transaction.atomic():
        session = _locked(registration.session)
        held = Registration.objects.filter(
            pk=registration.pk,
            status__in=[*SEAT_HOLDING, RegStatus.REGISTERED, RegStatus.WAITING],
        ).exclude(status=RegStatus.ATTENDED)
        was_holding = held.filter(status__in=SEAT_HOLDING).exists()
        if not held.update(status=RegStatus.CANCELLED, offer_expires_at=None, waiting_position=None):
            return False
        registration.refresh_from_db()
        if was_holding and registration.invited_at is not None:
            _notify(registration, "cancelled")
        if actor is not None:
            record_audit(actor, "programs.registration_cancelled", registration)
        if was_holding:
            fill_free_seats(session)
    return True


def fill_free_seats(session: Session) -> list[Registration]:
    """Offer free seats to the waiting list in order, each with a deadline (caller holds the session lock)."""
    offered = []
    free = session.capacity - held_seats(session)
    if free <= 0 or session.status in {SessionStatus.DONE, SessionStatus.CANCELLED}:
        return offered
    deadline = timezone.now() + timedelta(hours=session.offer_hours)
    for registration in Registration.objects.filter(session=session, status=RegStatus.WAITING).order_by(
        "waiting_position", "pk"
    )[:free]:
        Registration.objects.filter(pk=registration.pk, status=RegStatus.WAITING).update(
            status=RegStatus.OFFERED, offer_expires_at=deadline
        )
        registration.refresh_from_db()
        _notify(registration, "offer")
        from dabai.programs import tasks

        transaction.on_commit(
            lambda pk=registration.pk: tasks.expire_offer.using(run_after=deadline).enqueue(pk)
        )
        offered.append(registration)
    return offered


def accept(registration: Registration, *, notify: bool = True) -> Registration:
    """The person says yes: to an invitation (selected) or to an offered seat still within its deadline."""
    with transaction.atomic():
        _locked(registration.session)
        registration.refresh_from_db()
        if registration.status == RegStatus.CONFIRMED:
            return registration
        if registration.status == RegStatus.OFFERED and registration.offer_expires_at < timezone.now():
            raise SeatError(_("this offer has expired"))
        if registration.status not in {RegStatus.SELECTED, RegStatus.OFFERED}:
            raise SeatError(_("there is no seat on offer for you"))
        was_offer = registration.status == RegStatus.OFFERED
        Registration.objects.filter(pk=registration.pk).update(
            status=RegStatus.CONFIRMED, offer_expires_at=None
        )
        registration.refresh_from_db()
        if was_offer and notify:
            _notify(registration, "invitation" if registration.user_id else "confirmation")
    return registration


def decline(registration: Registration) -> bool:
    """The person says no to an invitation or an offer: the seat passes on."""
    with transaction.atomic():
        session = _locked(registration.session)
        if not Registration.objects.filter(
            pk=registration.pk, status__in=[RegStatus.SELECTED, RegStatus.OFFERED, RegStatus.CONFIRMED]
        ).update(status=RegStatus.DECLINED, offer_expires_at=None):
            return False
        fill_free_seats(session)
    registration.refresh_from_db()
    return True


def expire_offer(registration_id: int, now: datetime | None = None) -> bool:
    """An offer past its deadline lapses and passes to the next person (runs as a task at the deadline)."""
    now = now or timezone.now()
    registration = Registration.objects.filter(pk=registration_id).select_related("session").first()
    if registration is None:
        return False
    with transaction.atomic():
        session = _locked(registration.session)
        if not Registration.objects.filter(
            pk=registration_id, status=RegStatus.OFFERED, offer_expires_at__lte=now
        ).update(status=RegStatus.DECLINED, offer_expires_at=None):
            return False
        fill_free_seats(session)
    return True


def expire_due_offers(now: datetime | None = None) -> int:
    """Every lapsed offer (a safety net if a deadline task was lost)."""
    now = now or timezone.now()
    due = Registration.objects.filter(status=RegStatus.OFFERED, offer_expires_at__lte=now).values_list(
        "pk", flat=True
    )
    return sum(expire_offer(pk, now) for pk in list(due))


def check_in(registration: Registration, *, actor: User) -> bool:
    """At the door: a confirmed (or selected) person is marked present. False if they hold no seat."""
    updated = Registration.objects.filter(
        pk=registration.pk, status__in=[RegStatus.SELECTED, RegStatus.CONFIRMED, RegStatus.OFFERED]
    ).update(status=RegStatus.ATTENDED, checked_in_at=timezone.now(), offer_expires_at=None)
    if updated:
        record_audit(actor, "programs.checked_in", registration)
    registration.refresh_from_db()
    return bool(updated) or registration.status == RegStatus.ATTENDED


def set_status(session: Session, status: str, *, actor: User) -> None:
    Session.objects.filter(pk=session.pk).update(status=status)
    record_audit(actor, "programs.session_status", session, {"status": status})
    session.refresh_from_db()
