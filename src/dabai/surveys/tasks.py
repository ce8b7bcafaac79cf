"""Background work of surveys: invitation and reminder emails, retried when the mail server fails."""

import logging

from django_tasks import task

from dabai.core.tasking import retry_later
from dabai.surveys import services
from dabai.surveys.models import Invitation

logger = logging.getLogger(__name__)


@task()
def deliver_invitation(invitation_id: int, kind: str = "invitation", attempt: int = 0) -> str:
    """Email one invitation or reminder (``kind``), unless it was answered, expired or closed meanwhile."""
    invitation = Invitation.objects.select_related("survey", "user").filter(pk=invitation_id).first()
    if invitation is None:
        return "gone"
    try:
        sent = services.deliver(invitation, kind)
    except Exception:
        logger.exception("survey %s #%s failed (attempt %d)", kind, invitation_id, attempt)
        return "retrying" if retry_later(deliver_invitation, attempt, invitation_id, kind) else "failed"
    return "sent" if sent else "skipped"
