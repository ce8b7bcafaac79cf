"""The routing decision itself, as plain code over in-memory seats, so one decision costs no queries.

Order of the rules (issue 7): skill match first, then tier (top tiers to expert seats 专家席), then the least
loaded agent with free capacity on the channel; among equally loaded agents, round robin (whoever was given
work longest ago). Every decision carries the rule that decided it and a sentence saying why.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from dabai.routing.models import RoutingRule


@dataclass
class Seat:
    user_id: int
    name: str
    team_ids: frozenset[int]
    skills: frozenset[tuple[str, str]]
    is_expert: bool
    default_capacity: int
    channel_capacity: dict[str, int]
    last_assigned_at: datetime | None
    load: dict[str, int] = field(default_factory=dict)

    def capacity(self, channel: str) -> int:
        return int(self.channel_capacity.get(channel, self.default_capacity))

    def free(self, channel: str) -> int:
        return self.capacity(channel) - self.load.get(channel, 0)


@dataclass(frozen=True)
class Need:
    """What a conversation asks of its agent."""

    channel: str
    team_id: int | None
    intent: str
    language: str
    expert_tier: bool


@dataclass(frozen=True)
class Decision:
    seat: Seat | None
    rule: str
    reason: str


def _recency(seat: Seat) -> tuple:
    at = seat.last_assigned_at
    return (at is not None, at.timestamp() if at is not None else 0.0, seat.user_id)


class Router:
    """Decides for many conversations in a row, keeping each seat's load current as it assigns."""

    def __init__(self, seats: list[Seat]) -> None:
        self.seats = seats
        self.by_team: dict[int, list[Seat]] = {}
        for seat in seats:
            for team_id in seat.team_ids:
                self.by_team.setdefault(team_id, []).append(seat)

    def decide(self, need: Need, at: datetime) -> Decision:
        candidates = self.seats if need.team_id is None else self.by_team.get(need.team_id, [])
        channel = need.channel
        pool = [
            s
            for s in candidates
            if s.load.get(channel, 0) < s.channel_capacity.get(channel, s.default_capacity)
        ]
        if not pool:
            return Decision(
                None, RoutingRule.QUEUED, _("Nobody available with free capacity on this channel.")
            )
        steps: list[str] = []
        rule = RoutingRule.LEAST_LOADED
        wanted = {("intent", need.intent), ("channel", need.channel), ("language", need.language)}
        scores = {s.user_id: len(wanted & s.skills) for s in pool}
        best = max(scores.values())
        if best > 0:
            pool = [s for s in pool if scores[s.user_id] == best]
            rule = RoutingRule.SKILL
            matched = sorted(code for kind, code in wanted if any((kind, code) in s.skills for s in pool))
            steps.append(_("skills matched: %(skills)s") % {"skills": ", ".join(matched)})
        if need.expert_tier:
            experts = [s for s in pool if s.is_expert]
            if experts:
                pool = experts
                rule = RoutingRule.EXPERT
                steps.append(_("top-tier customer to an expert seat"))
        lowest = min(s.load.get(need.channel, 0) for s in pool)
        pool = [s for s in pool if s.load.get(need.channel, 0) == lowest]
        if len(pool) > 1:
            steps.append(
                _("round robin among %(n)d agents with %(load)d open") % {"n": len(pool), "load": lowest}
            )
            if rule == RoutingRule.LEAST_LOADED:
                rule = RoutingRule.ROUND_ROBIN
        else:
            steps.append(_("least loaded: %(load)d open") % {"load": lowest})
        seat = min(pool, key=_recency)
        self.take(seat, need.channel, at)
        return Decision(seat, rule, "; ".join(steps))

    @staticmethod
    def take(seat: Seat, channel: str, at: datetime) -> None:
        seat.load[channel] = seat.load.get(channel, 0) + 1
        seat.last_assigned_at = at
