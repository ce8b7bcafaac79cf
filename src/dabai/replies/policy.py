"""Who may do what with canned replies and personal data at the desk, on top of accounts.permissions."""

from dabai.accounts.models import User
from dabai.accounts.permissions import is_desk_user, is_supervisor, team_ids, visible_conversations
from dabai.conversations.models import Conversation, Message
from dabai.filter import mask
from dabai.replies.models import Macro, MacroScope


def may_manage_macro(user: User, macro: Macro) -> bool:
    """Agents keep their own macros; team and centre-wide ones are the supervisors' to curate."""
    if not is_desk_user(user):
        return False
    if macro.scope == MacroScope.PERSONAL:
        return macro.owner_id == user.pk
    return is_supervisor(user)


def creatable_scopes(user: User) -> list[str]:
    if not is_desk_user(user):
        return []
    if is_supervisor(user):
        return [MacroScope.PERSONAL, MacroScope.TEAM, MacroScope.CENTRE]
    return [MacroScope.PERSONAL]


def may_use_team(user: User, team_id: int) -> bool:
    return is_supervisor(user) or team_id in team_ids(user)


def may_see_message(user: User, message: Message) -> bool:
    """Revealing personal data needs the right to open the conversation; nobody else even learns it exists."""
    return (
        is_desk_user(user)
        and visible_conversations(user, Conversation.objects.filter(pk=message.conversation_id)).exists()
    )


def may_open(user: User, conversation: Conversation) -> bool:
    return (
        is_desk_user(user)
        and visible_conversations(user, Conversation.objects.filter(pk=conversation.pk)).exists()
    )


def leaks_in_public(conversation: Conversation, *, kind: str, body: str) -> bool:
    """A reply to a public post (a Weibo comment) that would publish personal data: refused, never sent."""
    return kind == "reply" and conversation.is_public and mask(body, lenient=True) != body
