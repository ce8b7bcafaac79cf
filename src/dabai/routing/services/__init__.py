"""Every state change of routing and SLAs, one function each, in one module per subdomain.

- ``sla``: policies, working calendars and the clocks (start, stop, pause, resume, tighten, retarget) with the
  inbox's deadline row.
- ``sweep``: the minute sweep's SLA work (warnings, breaches and their escalation, clocks that never started).
- ``assignment``: routing conversations to agents (one, a batch, every queued one) and agents' states; the
  decision itself is ``dabai.routing.assignment``.
- ``tiers``: customer tiers by rules, by hand and from a CSV import.
- ``complaints``: hard complaint cases (triggers, owners, halved deadlines, stages).
- ``_common``: what several of them share.

Callers use the package as they used the single module it was: ``services.route(...)``,
``from dabai.routing.services import sweep_slas``; every name is re-exported here.
"""

from dabai.routing.services._common import ACTIVE, CHUNK
from dabai.routing.services.assignment import (
    BatchRouter,
    load_seats,
    route,
    route_many,
    route_queued,
    set_agent_state,
)
from dabai.routing.services.complaints import (
    REPEAT_CONTACTS,
    REPEAT_WINDOW,
    STAGE_ORDER,
    ComplaintBatch,
    SeniorOwners,
    advance_complaint,
    complaint_triggers,
    open_complaint,
    recent_contacts,
)
from dabai.routing.services.sla import (
    DEFAULT_TARGETS,
    PUBLIC_WEIBO_FIRST_RESPONSE,
    TIGHTENED,
    Calendars,
    SlaRules,
    pause_clocks,
    policy_for,
    refresh_conversation_sla,
    resume_clocks,
    retarget_clocks,
    retarget_clocks_for,
    start_clocks,
    start_clocks_for,
    stop_clocks,
    tighten_clock,
)
from dabai.routing.services.sweep import (
    SweepResult,
    conversations_without_clocks,
    start_missing_clocks,
    sweep_slas,
)
from dabai.routing.services.tiers import (
    TierImport,
    apply_tier_rules,
    import_tiers,
    set_customer_tier,
    tier_by_rules,
)

__all__ = [
    "ACTIVE",
    "CHUNK",
    "DEFAULT_TARGETS",
    "PUBLIC_WEIBO_FIRST_RESPONSE",
    "REPEAT_CONTACTS",
    "REPEAT_WINDOW",
    "STAGE_ORDER",
    "TIGHTENED",
    "BatchRouter",
    "Calendars",
    "ComplaintBatch",
    "SeniorOwners",
    "SlaRules",
    "SweepResult",
    "TierImport",
    "advance_complaint",
    "apply_tier_rules",
    "complaint_triggers",
    "conversations_without_clocks",
    "import_tiers",
    "load_seats",
    "open_complaint",
    "pause_clocks",
    "policy_for",
    "recent_contacts",
    "refresh_conversation_sla",
    "resume_clocks",
    "retarget_clocks",
    "retarget_clocks_for",
    "route",
    "route_many",
    "route_queued",
    "set_agent_state",
    "set_customer_tier",
    "start_clocks",
    "start_clocks_for",
    "start_missing_clocks",
    "stop_clocks",
    "sweep_slas",
    "tier_by_rules",
    "tighten_clock",
]
