"""State changes at the desk: canned replies, @-mentions in notes, and the audited reveal of personal data."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import Role, Team, User
from dabai.accounts.services import record_audit
from dabai.conversations import services as conversation_services
from dabai.conversations.models import Conversation, Direction, Message
from dabai.replies import policy
from dabai.replies.live import notify_user
from dabai.replies.models import Macro, MacroScope, Mention

logger = logging.getLogger(__name__)

DESK_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


def create_macro(*, actor: User, title: str, body: str, scope: str, team: Team | None = None) -> Macro:
    """Save a canned reply for the actor, their team or the whole centre, as the actor's role allows."""
    if scope not in policy.creatable_scopes(actor):
        raise PermissionDenied
    if scope == MacroScope.TEAM and (team is None or not policy.may_use_team(actor, team.pk)):
        raise ValidationError(_("Choose one of your teams for a team macro."))
    macro = Macro.objects.create(
        title=title.strip(),
        body=body.strip(),
        team=team if scope == MacroScope.TEAM else None,
        owner=actor if scope == MacroScope.PERSONAL else None,
        created_by=actor,
    )
    if scope != MacroScope.PERSONAL:
        record_audit(actor, "macro.create", macro, {"scope": scope})
    return macro


def update_macro(macro: Macro, *, actor: User, title: str, body: str) -> Macro:
    if not policy.may_manage_macro(actor, macro):
        raise PermissionDenied
    macro.title, macro.body = title.strip(), body.strip()
    macro.save(update_fields=["title", "body", "updated_at"])
    if macro.scope != MacroScope.PERSONAL:
        record_audit(actor, "macro.update", macro, {"scope": macro.scope})
    return macro


def delete_macro(macro: Macro, *, actor: User) -> None:
    if not policy.may_manage_macro(actor, macro):
        raise PermissionDenied
    if macro.scope != MacroScope.PERSONAL:
        record_audit(actor, "macro.delete", macro, {"scope": macro.scope, "title": macro.title})
    macro.delete()


def record_macro_use(macro: Macro) -> None:
    """Count an insertion, so the macros people actually use come first in the `/` search."""
    Macro.objects.filter(pk=macro.pk).update(use_count=F("use_count") + 1)


def _named_users(text: str) -> list[User]:
    """Desk users named as ``@username`` or ``@display name``; the longest name wins at each @."""
    if "@" not in text:
        return []
    names: dict[str, int] = {}
    for pk, username, display_name in User.objects.filter(is_active=True, role__in=DESK_ROLES).values_list(
        "pk", "username", "display_name"
    ):
        for name in (username, display_name):
            if name:
                names.setdefault(name.lower(), pk)
    found: list[int] = []
    lowered = text.lower()
    position = lowered.find("@")
    while position >= 0:
        rest = lowered[position + 1 :]
        matches = [name for name in names if rest.startswith(name)]
        if matches:
            pk = names[max(matches, key=len)]
            if pk not in found:
                found.append(pk)
        position = lowered.find("@", position + 1)
    users = {u.pk: u for u in User.objects.filter(pk__in=found).select_related("agent_profile")}
    return [users[pk] for pk in found if pk in users]


def record_mentions(note: Message, author: User) -> list[Mention]:
    """Notify colleagues @-mentioned in an internal note, if they may open the conversation.

    A mention of someone who cannot see the conversation is not stored: a notice must never lead to a 404.
    """
    if note.direction != Direction.NOTE:
        return []
    conversation = note.conversation
    mentions = []
    with transaction.atomic():
        for user in _named_users(note.body):
            if user.pk == author.pk or not policy.may_open(user, conversation):
                continue
            mention, created = Mention.objects.get_or_create(note=note, user=user)
            if created:
                mentions.append(mention)
                notify_user(user.pk, "mention.new", conversation.pk, by=str(author))
    return mentions


def mark_mentions_read(user: User, conversation: Conversation) -> int:
    """Opening the conversation reads the mentions that pointed there."""
    return Mention.objects.filter(user=user, note__conversation=conversation, read_at__isnull=True).update(
        read_at=timezone.now()
    )


class PersonalDataInPublic(ValidationError):
    """A reply to a public post that would publish personal data: refused, never stored or sent."""


def send_from_desk(conversation: Conversation, author: User, *, kind: str, body: str) -> Message:
    """What the desk's reply box (and the API) does: a reply to the customer or an internal note.

    A reply to a public post (a Weibo comment) that carries personal data is refused before anything is
    stored; notes stay internal and may carry anything. @-mentions in notes notify (``receivers``).
    """
    if policy.leaks_in_public(conversation, kind=kind, body=body):
        raise PersonalDataInPublic(
            _("This is a public post: send personal data in a private message, never in public.")
        )
    if kind == "note":
        return conversation_services.add_note(conversation, author, body)
    return conversation_services.post_reply(conversation, author, body)


def reveal_personal_data(message: Message, actor: User, request: HttpRequest | None = None) -> str:
    """The unmasked text of one message, for a deliberate click, written to the audit log first."""
    if not policy.may_see_message(actor, message):
        raise PermissionDenied
    insight = getattr(message, "insight", None)
    kinds = sorted({p["kind"] for p in (insight.analysis.get("pii") or [])}) if insight else []
    record_audit(
        actor,
        "message.reveal_personal_data",
        message,
        {"conversation": message.conversation_id, "kinds": kinds},
        request=request,
    )
    logger.info("user %s revealed personal data of message %s", actor.pk, message.pk)
    return message.body
