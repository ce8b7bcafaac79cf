"""Shared pieces of the API's shapes: validated text, ids, the one error shape, references to people."""

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
