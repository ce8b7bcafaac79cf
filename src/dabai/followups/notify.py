"""Telling people: an in-app notice (with a live nudge to their open desk pages) and an e-mail.

Notices are stored inside the caller's transaction; e-mails go out from a task after commit (a mail server
that is down delays a notice, it never undoes the status change that caused it). Texts are masked already.
"""

import logging
import os
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.conversations.consumers import user_group
from dabai.conversations.live import conversation_event
from dabai.core import live
from dabai.followups.models import CaseMention, FollowUp, Notice, NoticeKind

logger = logging.getLogger(__name__)

# Notices of these kinds point at the conversation on the desk; the others at the portal's pages.
DESK_KINDS = {NoticeKind.DONE, NoticeKind.WONT_DO, NoticeKind.ANSWERED}


def notify(
    recipients: Iterable[User],
    kind: str,
    *,
    text: str,
    followup: FollowUp | None = None,
    mention: CaseMention | None = None,
    conversation_id: int | None = None,
    draft: str = "",
    skip: User | None = None,
) -> list[Notice]:
    """One notice per distinct active recipient (never the person who caused it), then e-mail after commit."""
    seen: set[int] = set()
    notices = []
    for user in recipients:
        if user is None or not user.is_active or user.pk in seen or (skip is not None and user.pk == skip.pk):
            continue
        seen.add(user.pk)
        notices.append(
            Notice.objects.create(
                recipient=user,
                kind=kind,
                followup=followup,
                mention=mention,
                conversation_id=conversation_id,
                text=text,
                draft=draft,
            )
        )
    if not notices:
        return []
    stored = notices
    events = [
        (
            user_group(n.recipient_id),
            conversation_event(n.conversation_id or 0, f"followups.{kind}", notice=n.pk),
        )
        for n in stored
    ]
    live.send_after_commit(events)
    ids = [n.pk for n in stored]
    transaction.on_commit(lambda: _enqueue_mail(ids))
    return stored


def _enqueue_mail(ids: list[int]) -> None:
    from dabai.followups.tasks import mail_notices

    mail_notices.enqueue(ids)


def public_url(path: str) -> str:
    base = getattr(settings, "DABAI_PUBLIC_URL", "") or os.environ.get("DABAI_PUBLIC_URL", "")
    return f"{base.rstrip('/')}{path}"


def desk_conversation_path(conversation_id: int) -> str:
    """The conversation on the desk (``/inbox/<id>/``, the agents' bookmark, whichever app serves it)."""
    for name in ("desk:detail", "conversations:detail"):
        try:
            return reverse(name, args=[conversation_id])
        except NoReverseMatch:
            continue
    return f"/inbox/{conversation_id}/"


def notice_path(notice: Notice) -> str:
    """Where a notice leads; a desk notice opens the conversation, which the recipient may open."""
    if notice.kind in DESK_KINDS and notice.conversation_id:
        return desk_conversation_path(notice.conversation_id)
    if notice.mention_id:
        return reverse("followups:mention", args=[notice.mention_id])
    if notice.followup_id:
        return reverse("followups:detail", args=[notice.followup_id])
    return reverse("followups:notices")


def mail_notice(notice: Notice) -> bool:
    """Send one notice by e-mail to its recipient (if they have an address); raise on a mail failure."""
    address = notice.recipient.email
    if not address:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        subject = f"[{_('Dabai')}] {NoticeKind(notice.kind).label}"
        if notice.followup_id:
            subject += f": {notice.followup.title}"
        body = [notice.text, "", public_url(notice_path(notice))]
        if notice.draft:
            body += ["", _("A message you may send the customer:"), notice.draft]
    send_mail(subject[:200], "\n".join(body), None, [address])
    return True
