"""Everyone is customer service: agents ask department members about cases; and notices read."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import Role, User
from dabai.accounts.services import record_audit
from dabai.conversations import services as conversation_services
from dabai.conversations.models import Conversation, Message
from dabai.followups import notify, policy
from dabai.followups.models import (
    CaseMention,
    Notice,
    NoticeKind,
)
from dabai.followups.services.followups import BODY_MAX, _names
from dabai.insights import masking


def record_department_mentions(note: Message, author: User) -> list[CaseMention]:
    """Department members named in an internal note (``@username`` or ``@display name``) are asked about it.

    They read the case masked in the portal, so the question is stored masked too.
    """
    if note.direction != "note" or "@" not in note.body or author is None or author.role == Role.DEPARTMENT:
        return []
    members = _named_members(note.body)
    conversation = note.conversation
    made = []
    question = masking.for_departments(note.body, _names([conversation]))
    for member in members:
        mention, created = CaseMention.objects.get_or_create(
            note=note,
            member=member,
            defaults={"conversation": conversation, "mentioned_by": author, "question": question},
        )
        if created:
            made.append(mention)
            record_audit(
                author, "followup.mention", conversation, {"member": member.pk, "mention": mention.pk}
            )
            notify.notify(
                [member],
                NoticeKind.MENTION,
                text=_("%(who)s asks you about a case: %(question)s")
                % {"who": author, "question": question[:300]},
                mention=mention,
            )
    return made


def _named_members(text: str) -> list[User]:
    lowered = text.lower()
    names: dict[str, User] = {}
    for user in User.objects.filter(role=Role.DEPARTMENT, is_active=True, department__isnull=False):
        for name in (user.username, user.display_name):
            if name:
                names.setdefault(name.lower(), user)
    found: list[User] = []
    position = lowered.find("@")
    while position >= 0:
        rest = lowered[position + 1 :]
        matches = [name for name in names if rest.startswith(name)]
        if matches:
            user = names[max(matches, key=len)]
            if user not in found:
                found.append(user)
        position = lowered.find("@", position + 1)
    return found


def mention_department_member(
    conversation: Conversation, *, author: User, member: User, body: str
) -> CaseMention:
    """An agent asks a department member about this case: an internal note that names them."""
    if not policy.may_open_conversation(author, conversation):
        raise PermissionDenied
    if member.role != Role.DEPARTMENT or not member.is_active or member.department_id is None:
        raise ValidationError({"member": _("Choose a member of a department.")})
    body = (body or "").strip()[:BODY_MAX]
    if not body:
        raise ValidationError({"body": _("Write your question first.")})
    with transaction.atomic():
        note = conversation_services.add_note(conversation, author, f"@{member.username} {body}")
        # The note receiver records the mention; this makes sure of it whatever the name matching found.
        mention, _created = CaseMention.objects.get_or_create(
            note=note,
            member=member,
            defaults={
                "conversation": conversation,
                "mentioned_by": author,
                "question": masking.for_departments(note.body, _names([conversation])),
            },
        )
        if _created:
            record_audit(
                author, "followup.mention", conversation, {"member": member.pk, "mention": mention.pk}
            )
            notify.notify([member], NoticeKind.MENTION, text=mention.question[:300], mention=mention)
    return mention


def mark_mention_read(mention: CaseMention, *, reader: User, request=None) -> None:
    if mention.member_id == reader.pk and mention.read_at is None:
        CaseMention.objects.filter(pk=mention.pk).update(read_at=timezone.now())
    record_audit(
        reader, "followup.mention_view", mention.conversation, {"mention": mention.pk}, request=request
    )


def answer_mention(mention: CaseMention, *, member: User, body: str) -> Message:
    """The department member answers with an internal note on the case; the agent who asked is told and can
    turn it into the reply."""
    if not policy.may_answer_mention(member, mention):
        raise PermissionDenied
    body = (body or "").strip()[:BODY_MAX]
    if not body:
        raise ValidationError({"body": _("Write your answer first.")})
    # Departments see the case masked; their answer must not carry personal data back in either.
    body = masking.for_departments(body, _names([mention.conversation]))
    with transaction.atomic():
        answer = conversation_services.add_note(mention.conversation, member, body)
        mention.answer = answer
        mention.answered_at = timezone.now()
        mention.read_at = mention.read_at or mention.answered_at
        mention.save(update_fields=["answer", "answered_at", "read_at"])
        record_audit(member, "followup.mention_answer", mention.conversation, {"mention": mention.pk})
        if mention.mentioned_by is not None:
            notify.notify(
                [mention.mentioned_by],
                NoticeKind.ANSWERED,
                text=_("%(who)s answered: %(body)s") % {"who": member, "body": body[:500]},
                mention=mention,
                conversation_id=mention.conversation_id,
                draft=body,
            )
    return answer


# ----------------------------------------------------------------------------------------------- notices


def mark_notice_read(notice: Notice, *, reader: User) -> None:
    if notice.recipient_id == reader.pk and notice.read_at is None:
        Notice.objects.filter(pk=notice.pk).update(read_at=timezone.now())


def mark_all_notices_read(reader: User) -> int:
    return Notice.objects.filter(recipient=reader, read_at__isnull=True).update(read_at=timezone.now())
