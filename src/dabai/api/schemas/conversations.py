"""Conversations, their messages, the filter's insights on them and their SLA clocks."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from dabai.api.schemas.common import (
    Body,
    ConversationStatus,
    CustomerRef,
    Id,
    TeamRef,
    UserRef,
    _body,
    _clean,
)

# ------------------------------------------------------------------------------------------- conversations


class SlaSummary(Schema):
    next_due_at: datetime | None
    next_kind: str
    warn_at: datetime | None
    is_paused: bool
    breached: bool


class ConversationOut(Schema):
    id: int
    channel: str
    subject: str = Field(description="Masked unless the token has read:pii.")
    status: ConversationStatus
    priority: int = Field(description="0 low, 1 normal, 2 high, 3 urgent.")
    is_public: bool
    customer: CustomerRef
    team: TeamRef | None
    assignee: UserRef | None
    created_at: datetime
    last_message_at: datetime
    last_inbound_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    message_count: int
    preview: str = Field(description="The masked start of the latest customer message.")
    sla: SlaSummary | None
    tags: list[str] = Field(description="The conversation's tags, sorted by name.")


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class AssignIn(Schema):
    assignee_id: Id | None = Field(
        description="A desk user (agent, supervisor, admin); null: back to the queue."
    )
    team_id: Id | None = None


class StatusIn(Schema):
    status: ConversationStatus


TagName = Annotated[
    str, StringConstraints(min_length=1, max_length=50), AfterValidator(_clean), AfterValidator(_body)
]


class TagsIn(Schema):
    add: list[TagName] = Field(
        default=[], max_length=50, description="Tags to put on (new names are created)."
    )
    remove: list[TagName] = Field(default=[], max_length=50, description="Tags to take off.")


class TagsSetIn(Schema):
    tags: list[TagName] = Field(
        max_length=50, description="The whole set of tags the conversation should have."
    )


class TagsOut(Schema):
    tags: list[str] = Field(description="The conversation's tags after the change, sorted by name.")


# ------------------------------------------------------------------------------------------------ messages


class MessageOut(Schema):
    id: int
    conversation_id: int
    direction: Literal["inbound", "outbound", "note"]
    channel: str
    author: UserRef | None
    body: str = Field(description="Personal data masked as at the desk, unless the token has read:pii.")
    has_personal_data: bool
    sent_at: datetime
    delivery_status: Literal["", "queued", "sent", "failed"]


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class MessageIn(Schema):
    kind: Literal["reply", "note"] = Field(
        "reply", description="reply: sent to the customer through the conversation's channel; note: internal."
    )
    body: Body


# ------------------------------------------------------------------------------------------------ insights


class InsightOut(Schema):
    message_id: int
    conversation_id: int
    sentiment: str
    sentiment_score: float
    intent: str
    voice: str
    urgency: str
    escalation_risk: bool
    is_spam: bool
    has_personal_data: bool
    emotions: list[dict[str, Any]]
    uncertain: list[str]
    corrections: dict[str, str] = Field(description="Signals an agent corrected, with the corrected label.")
    masked_text: str
    model_version: str
    created_at: datetime


class InsightPage(Schema):
    items: list[InsightOut]
    next_cursor: str | None


# ----------------------------------------------------------------------------------------------------- SLA


class SlaClockOut(Schema):
    kind: str
    state: str
    target_minutes: int
    started_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None
    paused_at: datetime | None
    stopped_at: datetime | None


class SlaStateOut(Schema):
    conversation_id: int
    next_due_at: datetime | None
    next_kind: str
    is_paused: bool
    breached: bool
    clocks: list[SlaClockOut]
