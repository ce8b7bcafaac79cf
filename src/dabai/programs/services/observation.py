"""Side-by-side observation: each participant sits with an agent on shift (routing's available seats)."""

from django.db import transaction

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.programs.models import Registration, RegStatus, Session
from dabai.routing.models import AgentState
from dabai.routing.selectors import agent_seats


def pair_observers(session: Session, *, actor: User) -> list[Registration]:
    """Pair every participant present (or confirmed) with an available agent, the least busy first, in turn.

    Agents on a break, in training or offline are never chosen; with fewer agents than participants an agent
    takes two observers. Returns the participants that got an agent.
    """
    agents = sorted(
        (seat for seat in agent_seats() if seat.state == AgentState.AVAILABLE),
        key=lambda seat: (seat.open_count, seat.user.username),
    )
    if not agents:
        return []
    participants = list(
        Registration.objects.filter(
            session=session, status__in=[RegStatus.ATTENDED, RegStatus.CONFIRMED, RegStatus.SELECTED]
        ).order_by("pk")
    )
    with transaction.atomic():
        for index, registration in enumerate(participants):
            agent = agents[index % len(agents)].user
            Registration.objects.filter(pk=registration.pk).update(observed_agent=agent)
            registration.observed_agent = agent
        record_audit(actor, "programs.observers_paired", session, {"pairs": len(participants)})
    return participants
