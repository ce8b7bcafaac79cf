import pytest

from dabai.accounts.models import Role
from dabai.routing.models import AgentRouting, Skill, SkillKind, SlaPolicy
from dabai.testing import UserFactory


@pytest.fixture
def seat():
    """``seat(team, username, expert=False, skills=(), capacity=5)`` makes a routable agent."""

    def make(team, username, *, expert=False, skills=(), capacity=5, role=Role.AGENT):
        user = UserFactory(username=username, role=role, teams=[team])
        routing = AgentRouting.objects.create(user=user, is_expert_seat=expert, default_capacity=capacity)
        routing.skills.set(
            [
                Skill.objects.get_or_create(kind=SkillKind.INTENT, code=c, defaults={"name": c})[0]
                for c in skills
            ]
        )
        return user

    return make


@pytest.fixture
def sla_policy(db):
    """``sla_policy(name, channel, first, following, resolution, **narrowing)``: an active 24/7 policy."""

    def make(name, channel, first, following, resolution, **narrowing):
        return SlaPolicy.objects.create(
            name=name,
            channel=channel,
            first_response_minutes=first,
            next_response_minutes=following,
            resolution_minutes=resolution,
            always_open=True,
            **narrowing,
        )

    return make
