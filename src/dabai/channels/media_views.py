"""``/media/channels/attachments/…``: email attachments, for those who may see the conversation."""

from django.http import Http404, HttpRequest, HttpResponse

from dabai.accounts.permissions import visible_conversations
from dabai.channels.models import Attachment
from dabai.conversations.models import Conversation
from dabai.core import media


def attachment_file(request: HttpRequest, name: str) -> HttpResponse:
    stored = media.stored_name(f"channels/attachments/{name}")
    attachment = Attachment.objects.select_related("message").filter(file=stored).first()
    if attachment is None:
        raise Http404
    conversation = Conversation.objects.filter(pk=attachment.message.conversation_id)
    if not visible_conversations(request.user, conversation).exists():
        raise Http404
    return media.send(request, attachment.file, download_name=attachment.filename)
