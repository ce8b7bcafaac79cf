"""What customers talk about: the VoC portal's topics (the filter's intents, topics editors define, clusters
the portal discovers), with how many cases each had in the last 7 and 28 days. Read-only; names and counts
only (no case text), centre-wide as the portal shows them."""

from datetime import timedelta
from typing import Literal

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema

from dabai.api.auth import need
from dabai.api.schemas import Text, TopicPage
from dabai.api.scopes import Scope
from dabai.api.selectors import InvalidCursor, decode_cursor, encode_cursor
from dabai.api.views.common import Cursor, Limit, responses
from dabai.insights.models import Topic

router = Router(tags=["Topics"])


class TopicQuery(Schema):
    kind: Literal["intent", "defined", "discovered"] | None = None
    include_inactive: bool = Query(
        False, description="Also topics switched off or merged into another (their cases count there)."
    )
    q: Text(max_length=100) = ""


@router.get("/topics", response=responses({200: TopicPage}), summary="List topics")
def list_topics(request: HttpRequest, filters: Query[TopicQuery], cursor: Cursor = None, limit: Limit = 50):
    """Active topics (all with `include_inactive=true`), oldest first, each with its cases over the last 7 and
    28 days (by when the case was opened). Scope `read:insights`."""
    need(request, Scope.READ_INSIGHTS)
    now = timezone.now()
    qs = Topic.objects.all()
    if not filters.include_inactive:
        qs = qs.filter(is_active=True, merged_into__isnull=True)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q.strip():
        qs = qs.filter(name__icontains=filters.q.strip())
    if cursor:
        last = decode_cursor(cursor, {"i"})["i"]
        if not isinstance(last, int) or isinstance(last, bool) or not 0 <= last < 2**63:
            raise InvalidCursor(cursor)
        qs = qs.filter(pk__gt=last)
    rows = list(
        qs.annotate(
            cases_7d=Count("assignments", filter=Q(assignments__opened_at__gte=now - timedelta(days=7))),
            cases_28d=Count("assignments", filter=Q(assignments__opened_at__gte=now - timedelta(days=28))),
        ).order_by("pk")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [
            {
                "id": t.pk,
                "key": t.key,
                "kind": t.kind,
                "name": t.name,
                "is_active": t.is_active,
                "merged_into_id": t.merged_into_id,
                "cases_7d": t.cases_7d,
                "cases_28d": t.cases_28d,
            }
            for t in rows
        ],
        "next_cursor": encode_cursor({"i": rows[-1].pk}) if more and rows else None,
    }
