"""Customers with their channel identities, and merging them."""

from datetime import datetime

from ninja import Field, Schema

from dabai.api.schemas.common import Id

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
