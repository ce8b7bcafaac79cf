"""What every API view shares: the documented error responses, path ids, paging parameters."""

from typing import Annotated, Any

from django.db import models
from django.http import HttpRequest
from ninja import Path, Query

from dabai.api import selectors, services
from dabai.api.errors import ApiError
from dabai.api.models import ApiToken
from dabai.api.schemas import MAX_ID, ErrorOut, Text

ERROR_STATUSES = (400, 401, 403, 404, 422, 429, 500)


def responses(ok: dict[int, Any], *more_errors: int) -> dict[int, Any]:
    """The operation's success response(s) and every error it can give, all documented in the schema."""
    return {**ok, **dict.fromkeys((*ERROR_STATUSES, *more_errors), ErrorOut)}


PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
Cursor = Annotated[Text(max_length=500) | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=100, description="items per page")]


def found(obj: models.Model | None) -> Any:
    """The object, or the API's 404 (the same for "does not exist" and "not yours to see")."""
    if obj is None:
        raise ApiError("not_found")
    return obj


def reveal(request: HttpRequest, token: ApiToken, what: str, ids: list[int]) -> bool:
    """Whether to show personal data unmasked (``read:pii``); if so, the audit log gets it first."""
    if not selectors.sees_personal_data(token):
        return False
    services.record_personal_data_read(token, request, what, ids)
    return True
