"""State changes at the desk: canned replies and their actions, replies that cannot embarrass, @-mentions in
notes, and the audited reveal of personal data."""

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
from dabai.conversations.models import Conversation, Direction, Message, Status
from dabai.replies import policy
from dabai.replies.live import notify_user
from dabai.replies.models import Macro, MacroAssignment, MacroScope, Mention

logger = logging.getLogger(__name__)

DESK_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


MACRO_ACTIONS = ["set_status", "add_tags", "assignment", "assign_team"]


def create_macro(
    *,
    actor: User,
    title: str,
    body: str,
    scope: str,
    team: Team | None = None,
    set_status: str = "",
    add_tags: list[str] | tuple[str, ...] = (),
    assignment: str = "",
    assign_team: Team | None = None,
) -> Macro:
    """Save a canned reply for the actor, their team or the whole centre, as the actor's role allows, with
    the actions it applies when used (a status, tags, an assignment)."""
    if scope not in policy.creatable_scopes(actor):
        raise PermissionDenied
    if scope == MacroScope.TEAM and (team is None or not policy.may_use_team(actor, team.pk)):
        raise ValidationError(_("Choose one of your teams for a team macro."))
    macro = Macro(
        title=title.strip(),
        body=body.strip(),
        team=team if scope == MacroScope.TEAM else None,
        owner=actor if scope == MacroScope.PERSONAL else None,
        created_by=actor,
    )
    _set_actions(macro, set_status, add_tags, assignment, assign_team)
    macro.save()
    if scope != MacroScope.PERSONAL:
        record_audit(actor, "macro.create", macro, {"scope": scope, **_actions_of(macro)})
    return macro


def update_macro(
    macro: Macro,
    *,
    actor: User,
    title: str,
    body: str,
    set_status: str = "",
    add_tags: list[str] | tuple[str, ...] = (),
    assignment: str = "",
    assign_team: Team | None = None,
) -> Macro:
    if not policy.may_manage_macro(actor, macro):
        raise PermissionDenied
    macro.title, macro.body = title.strip(), body.strip()
    _set_actions(macro, set_status, add_tags, assignment, assign_team)
    macro.save(update_fields=["title", "body", *MACRO_ACTIONS, "updated_at"])
    if macro.scope != MacroScope.PERSONAL:
        record_audit(actor, "macro.update", macro, {"scope": macro.scope, **_actions_of(macro)})
    return macro


def _set_actions(
    macro: Macro, set_status: str, add_tags: list[str] | tuple[str, ...], assignment: str, team: Team | None
) -> None:
    if set_status and set_status not in Status.values:
        raise ValidationError(_("Unknown status %(status)s.") % {"status": set_status})
    if assignment not in MacroAssignment.values:
        raise ValidationError(_("Unknown assignment %(assignment)s.") % {"assignment": assignment})
    macro.set_status = set_status
    macro.add_tags = list(dict.fromkeys(t.strip()[:50] for t in add_tags if t and t.strip()))
    macro.assignment = "" if team is not None else assignment
    macro.assign_team = team


def _actions_of(macro: Macro) -> dict:
    return {
        "set_status": macro.set_status,
        "add_tags": list(macro.add_tags),
        "assignment": macro.assignment,
        "assign_team": macro.assign_team_id,
    }


def apply_macro(macro: Macro, conversation: Conversation, *, actor: User) -> list[str]:
    """Apply a macro's actions to the conversation through the conversation services; returns what it did.

    Only someone who may use the macro (its scope) and open the conversation may apply it. Tags come first,
    then the assignment, then the status (a macro that hands over and resolves ends resolved). Each change is
    audited by the service that makes it, and the use is audited as ``macro.applied``.
    """
    if not policy.may_use_macro(actor, macro) or not policy.may_open(actor, conversation):
        raise PermissionDenied
    done: list[str] = []
    with transaction.atomic():
        if macro.add_tags:
            conversation_services.tag(conversation, add=macro.add_tags, actor=actor)
            done.append("tags")
        if macro.assign_team_id:
            conversation_services.assign(conversation, None, actor=actor, team=macro.assign_team)
            done.append("team")
        elif macro.assignment == MacroAssignment.SELF and conversation.assignee_id != actor.pk:
            conversation_services.assign(conversation, actor, actor=actor)
            done.append("assignee")
        elif macro.assignment == MacroAssignment.QUEUE and conversation.assignee_id is not None:
            conversation_services.assign(conversation, None, actor=actor)
            done.append("assignee")
        if macro.set_status and conversation.status != macro.set_status:
            conversation_services.change_status(conversation, macro.set_status, actor=actor)
            done.append("status")
        record_macro_use(macro)
        record_audit(actor, "macro.applied", conversation, {"macro": macro.pk, "done": done})
    return done


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


class ReplyRefused(ValidationError):
    """A reply that must not go out as written: refused before anything is stored or sent (``code`` says
    why: ``personal_data_in_public`` or ``unfilled_blank``)."""


class PersonalDataInPublic(ReplyRefused):
    """A reply to a public post that would publish the customer's name or personal data."""


class UnfilledBlank(ReplyRefused):
    """A reply that still holds a blank a canned reply left to fill (【订单号】, {{…}})."""


def send_from_desk(
    conversation: Conversation, author: User, *, kind: str, body: str, macro: Macro | None = None
) -> Message:
    """What the desk's reply box (and the API) does: a reply to the customer or an internal note.

    A reply is refused before anything is stored when it still holds an unfilled blank (the error names it),
    or when it answers a public post (a Weibo comment) with the customer's name, personal data, an order
    number or a long number. Notes stay internal and may carry anything; @-mentions in them notify
    (``receivers``). With ``macro`` the macro's actions (status, tags, assignment) follow the reply in the
    same transaction.
    """
    if kind == "reply":
        blank = policy.unfilled_blank(body)
        if blank:
            raise UnfilledBlank(
                _("Fill in %(blank)s before sending: the customer would see it as it is.") % {"blank": blank},
                code="unfilled_blank",
            )
        if conversation.is_public:
            leak = policy.public_leak(conversation.customer, body)
            if leak:
                raise PersonalDataInPublic(
                    _(
                        "This is a public post that everyone can read: take out %(what)s and continue in a "
                        "private message."
                    )
                    % {"what": leak},
                    code="personal_data_in_public",
                )
    with transaction.atomic():
        if kind == "note":
            message = conversation_services.add_note(conversation, author, body)
        else:
            message = conversation_services.post_reply(conversation, author, body)
        if macro is not None:
            apply_macro(macro, conversation, actor=author)
    return message


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
