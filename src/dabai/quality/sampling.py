"""Which conversations a review cycle looks at: a seeded sample per agent, weighted towards risk.

Pure functions over plain candidates, so the same period, settings and seed always give the same sample (the
cycle page shows the seed; anyone can redraw it and compare). Per agent, ``random_share`` percent of the
picks are uniformly random among all their resolved conversations — the ordinary work deserves a look too —
and the rest are drawn with probability proportional to their risk weight (weighted sampling without
replacement, Efraimidis–Spirakis keys); when too few risky conversations exist, random picks fill up.
"""

import math
import random
from dataclasses import dataclass, field

DEFAULT_WEIGHTS = {"escalation": 3, "low_csat": 3, "reopened": 2, "worsened": 2, "long_handling": 1}
LONG_HANDLING_PERCENTILE = 80
# Below this a conversation is never "long", whatever the period's percentile: in a quiet period the 80th
# percentile of a few quick chats is seconds, and a chat answered in seconds has nothing to review for length.
LONG_HANDLING_FLOOR_SECONDS = 5 * 60


@dataclass(frozen=True)
class Candidate:
    conversation_id: int
    agent_id: int
    flags: tuple[str, ...] = ()


@dataclass
class Pick:
    conversation_id: int
    agent_id: int
    reasons: list[str] = field(default_factory=list)
    rank: int = 0


def percentile(values: list[float], pct: int) -> float | None:
    """The ``pct``-th percentile (nearest rank) of the values, None without values."""
    if not values:
        return None
    ordered = sorted(values)
    index = max(math.ceil(pct / 100 * len(ordered)) - 1, 0)
    return ordered[index]


def long_handling_threshold(seconds: list[float]) -> float | None:
    """Business seconds above which a conversation counts as long handling: the period's 80th percentile,
    never below the floor; None when no conversation in the period has a resolution time."""
    found = percentile(seconds, LONG_HANDLING_PERCENTILE)
    return None if found is None else max(found, LONG_HANDLING_FLOOR_SECONDS)


def quota(per_week: int, days: int) -> int:
    """How many conversations per agent for a period of this many days (per week, rounded up to weeks)."""
    return per_week * max(math.ceil(days / 7), 1)


def draw(
    candidates: list[Candidate], *, per_agent: int, random_share: int, weights: dict[str, float], seed: int
) -> list[Pick]:
    """For each agent ``per_agent`` conversations (or all they have), reproducible from ``seed``."""
    by_agent: dict[int, list[Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: (c.agent_id, c.conversation_id)):
        by_agent.setdefault(candidate.agent_id, []).append(candidate)
    picks: list[Pick] = []
    for agent_id, own in by_agent.items():
        rng = random.Random(f"{seed}:{agent_id}")
        n = min(per_agent, len(own))
        n_random = round(n * random_share / 100)
        risky = [c for c in own if _weight(c, weights) > 0]
        keyed = sorted(risky, key=lambda c: rng.random() ** (1 / _weight(c, weights)), reverse=True)
        chosen = keyed[: n - n_random]
        taken = {c.conversation_id for c in chosen}
        rest = [c for c in own if c.conversation_id not in taken]
        randoms = rng.sample(rest, n - len(chosen))
        for rank, candidate in enumerate(chosen):
            picks.append(Pick(candidate.conversation_id, agent_id, list(candidate.flags), rank))
        for rank, candidate in enumerate(randoms, start=len(chosen)):
            picks.append(Pick(candidate.conversation_id, agent_id, ["random", *candidate.flags], rank))
    return picks


def _weight(candidate: Candidate, weights: dict[str, float]) -> float:
    return sum(float(weights.get(flag, 0)) for flag in candidate.flags)
