"""One error shape for the whole API: a stable code, the message in English and Chinese, and the fields.

    {"error": {"code": "validation_error",
               "message": {"en": "Some fields are not valid.", "zh": "部分字段无效。"},
               "fields": [{"field": "body", "code": "string_too_short", "message": {"en": "…", "zh": "…"}}]}}

Codes never change once published; messages may be reworded.
"""

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

MESSAGES: dict[str, tuple[int, Any]] = {
    "bad_request": (400, _("The request could not be read.")),
    "invalid_cursor": (400, _("The cursor is not one this API gave out.")),
    "unauthenticated": (401, _("A valid API token is required: send it as “Authorization: Bearer <token>”.")),
    "insufficient_scope": (403, _("This token does not have the scope this needs: %(scope)s.")),
    "not_found": (404, _("Not found.")),
    "method_not_allowed": (405, _("This method is not allowed here.")),
    "conflict": (409, _("This cannot be done in the current state: %(reason)s.")),
    "validation_error": (422, _("Some fields are not valid.")),
    "personal_data_in_public": (
        422,
        _("This is a public post: send personal data in a private message, never in public."),
    ),
    "unfilled_blank": (422, _("The reply still holds a blank to fill in (such as 【订单号】).")),
    "rate_limited": (429, _("Too many requests with this token; retry after the seconds in Retry-After.")),
    "too_many_failures": (429, _("Too many wrong tokens from here; try again later.")),
    "internal_error": (500, _("Something went wrong on our side; nothing was changed.")),
}

# Pydantic's error types the API's inputs produce, in Chinese; others fall back to a general message.
FIELD_MESSAGES: dict[str, Any] = {
    "missing": _("This field is required."),
    "string_too_short": _("Too short."),
    "string_too_long": _("Too long."),
    "string_type": _("Must be text."),
    "int_parsing": _("Must be a whole number."),
    "int_type": _("Must be a whole number."),
    "greater_than_equal": _("Too small."),
    "less_than_equal": _("Too large."),
    "literal_error": _("Not one of the allowed values."),
    "enum": _("Not one of the allowed values."),
    "too_long": _("Too many items."),
    "too_short": _("Too few items."),
    "datetime_parsing": _("Must be a date and time (ISO 8601)."),
    "datetime_from_date_parsing": _("Must be a date and time (ISO 8601)."),
    "url_parsing": _("Must be a URL."),
    "value_error": _("Not a valid value."),
    "extra_forbidden": _("This field is not expected."),
}
FIELD_FALLBACK = _("Not a valid value.")


def both(message: Any, params: dict[str, Any] | None = None) -> dict[str, str]:
    """The message in English and in Chinese (from the catalogues)."""
    out = {}
    for key, language in (("en", "en"), ("zh", "zh-hans")):
        with translation.override(language):
            text = str(message)
            out[key] = text % params if params else text
    return out


@dataclass
class FieldError:
    field: str
    code: str
    message: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": self.message}


def field_error(name: str, code: str, english: str = "") -> FieldError:
    message = both(FIELD_MESSAGES.get(code, FIELD_FALLBACK))
    if english:
        message["en"] = english
    return FieldError(name, code, message)


@dataclass
class ApiError(Exception):
    """Raised anywhere in the API; rendered as the one error shape with its status and headers."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    fields: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    message: Any = None

    @property
    def status(self) -> int:
        return MESSAGES[self.code][0]

    def body(self) -> dict[str, Any]:
        message = both(self.message or MESSAGES[self.code][1], self.params or None)
        return {
            "error": {"code": self.code, "message": message, "fields": [f.as_dict() for f in self.fields]}
        }


def from_validation(errors: list[dict[str, Any]], containers: frozenset[str]) -> ApiError:
    """Ninja's (pydantic's) validation errors as one ``validation_error`` naming each field."""
    fields = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())][1:]
        if loc and loc[0] in containers:
            loc = loc[1:]
        fields.append(
            field_error(".".join(loc) or "body", str(error.get("type", "invalid")), error.get("msg", ""))
        )
    return ApiError("validation_error", fields=fields)
