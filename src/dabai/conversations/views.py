"""The one view helper the desk-side apps share (the workspace itself lives in ``dabai.desk``)."""

from django.http import Http404, HttpRequest

from dabai.accounts.permissions import require_desk_user
from dabai.conversations import selectors
from dabai.conversations.models import Conversation


def desk_conversation_or_404(request: HttpRequest, pk: int) -> Conversation:
    """The conversation if this desk user may open it; 404 otherwise, revealing nothing."""
    require_desk_user(request.user)
    conversation = selectors.conversation_for(request.user, pk)
    if conversation is None:
        raise Http404
    return conversation
