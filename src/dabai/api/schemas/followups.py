"""Departments' follow-ups and the voice-of-the-customer topics they hang on."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from dabai.api.schemas.common import Body, Id, Text, UserRef

# ---------------------------------------------------------------------------------------------- follow-ups

FollowUpStatus = Literal["open", "in_progress", "done", "wont_do"]


class DepartmentRef(Schema):
    id: int
    name: str


class TopicRef(Schema):
    id: int
    key: str
    name: str


class FollowUpOut(Schema):
    id: int
    title: str = Field(description="Masked as departments read it (personal data never leaves in it).")
    description: str = Field(description="Masked as departments read it.")
    department: DepartmentRef
    owner: UserRef | None
    opened_by: UserRef | None
    status: FollowUpStatus
    due: date | None
    overdue: bool = Field(description="Open or in progress and past its due date.")
    topic: TopicRef | None
    topic_key: str
    source: Literal["case", "topic", "emerging", "programme", "mention"]
    resolution_note: str = Field(description="Masked; what the department did (or why not).")
    conversation_ids: list[int] = Field(description="The linked cases this token may see.")
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class FollowUpPage(Schema):
    items: list[FollowUpOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class LinkedCaseOut(Schema):
    conversation_id: int
    channel: str
    opened_at: datetime
    summary: str = Field(description="The case's first customer words, masked as the portal shows them.")
    status: str


class FollowUpEventOut(Schema):
    id: int
    kind: Literal["opened", "status", "comment", "reply", "owner", "due", "linked", "escalated", "notified"]
    actor: UserRef | None
    body: str = Field(description="Masked.")
    from_status: str
    to_status: str
    created_at: datetime


class FollowUpDetailOut(FollowUpOut):
    cases: list[LinkedCaseOut]
    events: list[FollowUpEventOut] = Field(description="The follow-up's log, oldest first.")


class FollowUpIn(Schema):
    title: Body = Field(max_length=200)
    description: Text(max_length=5000) = ""
    department_id: Id
    owner_id: Id | None = Field(default=None, description="A member of the owning department.")
    due: date | None = None
    conversation_ids: list[Id] = Field(default=[], max_length=200, description="Cases to link.")
    topic_key: Text(max_length=64) = Field(
        default="", description="`topic:<id>`, a topic's key (`intent:billing`) or a bare intent."
    )


class FollowUpStatusIn(Schema):
    status: FollowUpStatus
    note: Text(max_length=5000) = Field(
        default="", description="Required to close (done / won't do): what was done, or why not."
    )


class CommentIn(Schema):
    body: Body = Field(max_length=5000)


# ------------------------------------------------------------------------------------------------- topics


class TopicOut(Schema):
    id: int
    key: str
    kind: Literal["intent", "defined", "discovered"]
    name: str
    is_active: bool
    merged_into_id: int | None
    cases_7d: int = Field(description="Cases opened in the last 7 days with this topic.")
    cases_28d: int = Field(description="Cases opened in the last 28 days with this topic.")


class TopicPage(Schema):
    items: list[TopicOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")
