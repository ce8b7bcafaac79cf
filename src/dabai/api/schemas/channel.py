"""The API channel: inbound messages from an integrator's own channel, with idempotency keys."""

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from dabai.api.schemas.common import Body, Text

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
