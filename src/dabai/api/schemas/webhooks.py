"""Webhook endpoints, their deliveries and attempts, and replays."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from dabai.api.schemas.common import Text

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
