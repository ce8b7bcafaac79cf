"""The filter itself: the same JSON as ``dabai filter analyse``, one object per item, in order."""

from django.http import HttpRequest
from ninja import Router

from dabai.api.auth import need
from dabai.api.schemas import AnalyseIn, AnalyseOut
from dabai.api.scopes import Scope
from dabai.api.views.common import responses
from dabai.conversations.filtering import current_model
from dabai.filter import analyse_many

router = Router(tags=["Filter"])


@router.post("/filter/analyse", response=responses({200: AnalyseOut}), summary="Analyse text with the filter")
def analyse(request: HttpRequest, payload: AnalyseIn):
    """Sentiment, emotions, intent, voice, escalation, urgency, spam, personal data, entities, address form,
    masked text and the reasons, for up to 256 texts, with the model the desk reads with. Each result is the
    CLI's JSON object (`dabai filter analyse`) with the item's `id` (its 1-based position if none). Nothing is
    stored. Scope `use:filter`."""
    need(request, Scope.USE_FILTER)
    items = payload.items
    analyses = analyse_many([(item.text, item.channel) for item in items], model=current_model())
    return {
        "results": [
            {"id": item.id if item.id is not None else n, **analysis.to_dict()}
            for n, (item, analysis) in enumerate(zip(items, analyses, strict=True), start=1)
        ]
    }
