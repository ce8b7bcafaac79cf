"""Choosing who takes part in a training day, by criteria the organiser can state and anyone can re-check.

The rule: every registrant draws a lottery number from ``random.Random(seed)`` (registrations in the order
they came); first-timers go before people who attended before; within each group the lower number goes first;
walking that order, a person gets a seat while seats remain and their department is under its quota; everyone
else joins the waiting list in the same order. The seed and every person's number, rank and outcome are
stored and shown, so the same seed on the same registrations gives the same result.
"""

import random
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.programs.models import Registration, RegStatus, Session, SessionStatus
from dabai.programs.services.seats import SeatError, _locked, _notify


@dataclass(frozen=True)
class Draw:
    registration_id: int
    name: str
    department: str
    first_timer: bool
    lottery: float
    rank: int
    outcome: str
    reason: str


def plan_selection(session: Session, candidates: list[Registration], seed: int) -> list[Draw]:
    """The selection as a pure function of the registrations, the seats, the quotas and the seed."""
    rng = random.Random(seed)
    numbers = {r.pk: rng.random() for r in sorted(candidates, key=lambda r: r.pk)}
    ordered = sorted(candidates, key=lambda r: (not r.first_timer, numbers[r.pk], r.pk))
    quotas = {str(k): int(v) for k, v in (session.programme.quotas or {}).items()}
    seats = session.capacity
    per_department: dict[str, int] = {}
    plan = []
    for rank, r in enumerate(ordered, start=1):
        slug = r.department.slug if r.department else ""
        quota = quotas.get(slug)
        if seats <= 0:
            outcome, reason = RegStatus.WAITING, "seats_full"
        elif quota is not None and per_department.get(slug, 0) >= quota:
            outcome, reason = RegStatus.WAITING, f"quota:{quota}"
        else:
            seats -= 1
            per_department[slug] = per_department.get(slug, 0) + 1
            outcome, reason = RegStatus.SELECTED, "first_time" if r.first_timer else "lottery"
        plan.append(
            Draw(
                registration_id=r.pk,
                name=r.name,
                department=r.department.name if r.department else "",
                first_timer=r.first_timer,
                lottery=round(numbers[r.pk], 6),
                rank=rank,
                outcome=str(outcome),
                reason=reason,
            )
        )
    return plan


def select_participants(
    session: Session, *, actor: User, seed: int | None = None, notify: bool = True
) -> list[Draw]:
    """Run the selection once on the session's registrations and invite those chosen (``notify=False``
    records a selection made elsewhere, e.g. the demo's past sessions, without writing to anyone)."""
    seed = secrets.randbelow(10**9) if seed is None else int(seed)
    with transaction.atomic():
        locked = _locked(session)
        if locked.status != SessionStatus.OPEN:
            raise SeatError(_("participants have already been selected for this session"))
        candidates = list(
            Registration.objects.filter(session=locked, status=RegStatus.REGISTERED).select_related(
                "department"
            )
        )
        plan = plan_selection(locked, candidates, seed)
        position = 0
        for draw in plan:
            if draw.outcome == RegStatus.SELECTED:
                Registration.objects.filter(pk=draw.registration_id).update(status=RegStatus.SELECTED)
            else:
                position += 1
                Registration.objects.filter(pk=draw.registration_id).update(
                    status=RegStatus.WAITING, waiting_position=position
                )
        Session.objects.filter(pk=locked.pk).update(
            status=SessionStatus.SELECTED,
            selection_seed=seed,
            selection_log=[draw.__dict__ for draw in plan],
        )
        for draw in plan:
            if notify and draw.outcome == RegStatus.SELECTED:
                _notify(Registration.objects.get(pk=draw.registration_id), "invitation")
        record_audit(
            actor,
            "programs.selected",
            locked,
            {"seed": seed, "selected": sum(d.outcome == RegStatus.SELECTED for d in plan)},
        )
    session.refresh_from_db()
    return plan
