"""The API's request and response shapes (Pydantic, django-ninja); the OpenAPI schema comes from here."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

MAX_ID = 9_223_372_036_854_775_807
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _clean(value: str) -> str:
    """Text the database can store: no NUL characters, no lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def Text(min_length: int = 0, max_length: int = 20000, **kwargs: Any) -> Any:
    return Annotated[
        str, StringConstraints(min_length=min_length, max_length=max_length, **kwargs), AfterValidator(_clean)
    ]


def _body(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


Body = Annotated[
    str, StringConstraints(min_length=1, max_length=20000), AfterValidator(_clean), AfterValidator(_body)
]

ConversationStatus = Literal["open", "pending", "resolved", "closed"]


# ------------------------------------------------------------------------------------------------- errors


class LocalisedMessage(Schema):
    en: str
    zh: str


class FieldErrorOut(Schema):
    field: str = Field(description="The field at fault, dotted for nested ones (e.g. customer.id).")
    code: str
    message: LocalisedMessage


class ErrorBody(Schema):
    code: str = Field(description="Stable machine-readable code, e.g. not_found, insufficient_scope.")
    message: LocalisedMessage
    fields: list[FieldErrorOut]


class ErrorOut(Schema):
    error: ErrorBody


# ---------------------------------------------------------------------------------------------- references


class UserRef(Schema):
    id: int
    name: str


class TeamRef(Schema):
    id: int
    name: str


class CustomerRef(Schema):
    id: int
    display_name: str = Field(description="Masked unless the token has read:pii.")


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


# ----------------------------------------------------------------------------------------------- customers


class IdentityOut(Schema):
    channel: str
    value: str = Field(description="Masked unless the token has read:pii.")


class CustomerOut(Schema):
    id: int
    display_name: str
    tier: str
    tags: list[str]
    identities: list[IdentityOut]
    merged_into_id: int | None
    created_at: datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None


class MergeIn(Schema):
    into: Id = Field(
        description="The customer who stays; this one's identities and conversations move there."
    )


class MergeOut(Schema):
    merge_id: int
    source_id: int
    target_id: int


# ----------------------------------------------------------------------------------------------- knowledge


class ArticleSummary(Schema):
    id: int
    slug: str
    language: str
    title: str
    summary: str
    category: str | None
    tags: list[str]
    published_at: datetime | None
    updated_at: datetime


class ArticleOut(ArticleSummary):
    body: str


class ArticlePage(Schema):
    items: list[ArticleSummary]
    next_cursor: str | None


class SearchHitOut(Schema):
    article: ArticleSummary
    score: float
    confidence: float
    snippet_html: str = Field(description="Escaped text with the matched words in <mark>.")


class SearchOut(Schema):
    query: str
    confidence: float
    hits: list[SearchHitOut]


# -------------------------------------------------------------------------------------------------- filter


class AnalyseItem(Schema):
    id: Annotated[int, Field(ge=-MAX_ID, le=MAX_ID)] | Text(max_length=200) | None = Field(
        None, description="Echoed back; defaults to the item's position (1-based), as the CLI's line number."
    )
    text: Text(max_length=20000)
    channel: Literal["email", "chat", "sms", "phone", "weibo", "wechat"] | None = None


class AnalyseIn(Schema):
    items: list[AnalyseItem] = Field(min_length=1, max_length=256)


class AnalysisOut(Schema):
    """One object of ``dabai filter analyse`` output, exactly as the CLI prints it."""

    id: int | str
    sentiment: dict[str, Any]
    emotions: list[dict[str, Any]]
    intent: dict[str, Any] | None
    voice: dict[str, Any] | None
    escalation: dict[str, Any]
    urgency: dict[str, Any]
    spam: dict[str, Any]
    pii: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    address_form: dict[str, Any] | None
    masked_text: str
    why: dict[str, Any]
    model_version: str


class AnalyseOut(Schema):
    results: list[AnalysisOut]


# -------------------------------------------------------------------------------------- the API channel


class InboundCustomer(Schema):
    id: Text(min_length=1, max_length=200) = Field(description="Who wrote, as your channel knows them.")
    name: Text(max_length=100) = ""
    handle: Text(max_length=200) = ""


class InboundIn(Schema):
    source: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")] = Field(
        description="Your channel's name (e.g. line, whatsapp, app): customers and keys are scoped by it."
    )
    customer: InboundCustomer
    text: Body
    subject: Text(max_length=255) = ""
    sent_at: datetime | None = Field(None, description="When the customer wrote; default: now.")
    new_conversation: bool = Field(
        False, description="Open a new conversation instead of joining the open one."
    )


class InboundOut(Schema):
    message_id: int
    conversation_id: int
    customer_id: int
    duplicate: bool = Field(
        description="True when this idempotency key was already used: nothing new stored."
    )


# ------------------------------------------------------------------------------------------------ webhooks


class EndpointIn(Schema):
    name: Text(min_length=1, max_length=100)
    url: Text(min_length=1, max_length=500)
    events: list[str] = Field(default_factory=list, max_length=20, description="Event types; empty: all.")


class EndpointPatch(Schema):
    name: Text(min_length=1, max_length=100) | None = None
    url: Text(min_length=1, max_length=500) | None = None
    events: list[str] | None = Field(None, max_length=20)
    is_active: bool | None = None


class EndpointOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    is_active: bool
    disabled_reason: str
    failing_since: datetime | None
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The signing secret (whsec_…); keep it to verify signatures.")


class EndpointPage(Schema):
    items: list[EndpointOut]
    next_cursor: str | None


class AttemptOut(Schema):
    number: int
    at: datetime
    status_code: int | None
    latency_ms: int
    retry_after_seconds: int | None
    error: str
    response_snippet: str


class DeliveryOut(Schema):
    id: int
    event_id: str = Field(description="The webhook-id the receiver saw.")
    event_type: str
    conversation_id: int | None
    sequence: int | None
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempt_log: list[AttemptOut]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


class ReplayOut(Schema):
    queued: int


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
