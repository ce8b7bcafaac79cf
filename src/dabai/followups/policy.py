"""Who may see and act on follow-ups and case mentions, on top of ``dabai.accounts.permissions``.

- supervisors (and VoC editors) open follow-ups and see and act on all of them;
- department members see and act on their own department's follow-ups only;
- agents see the follow-ups linked to conversations they may open, and may comment on them;
- a case mention is its member's (and the desk's, for the conversation's agents).
"""

from django.db.models import QuerySet

from dabai.accounts import permissions
from dabai.accounts.models import User
from dabai.conversations.models import Conversation
from dabai.followups.models import CaseMention, FollowUp


def is_voc_editor(user: User) -> bool:
    """The portal's curators; supervisors by default. Uses the accounts rule once it exists."""
    rule = getattr(permissions, "is_voc_editor", None)
    if rule is not None:
        return bool(rule(user))
    return bool(permissions.is_supervisor(user) and user.is_active)


def oversees(user: User) -> bool:
    """Supervisors and VoC editors: open follow-ups for any department and see them all."""
    return bool(
        user.is_authenticated and user.is_active and (permissions.is_supervisor(user) or is_voc_editor(user))
    )


def may_open_followups(user: User) -> bool:
    return oversees(user)


def uses_followups(user: User) -> bool:
    """Anyone with a follow-up page: overseers, department members (with a department) and desk users."""
    if oversees(user):
        return True
    if permissions.is_department_member(user):
        return user.department_id is not None
    return permissions.is_desk_user(user)


def visible_followups(user: User, queryset: QuerySet[FollowUp] | None = None) -> QuerySet[FollowUp]:
    qs = FollowUp.objects.all() if queryset is None else queryset
    if oversees(user):
        return qs
    if permissions.is_department_member(user):
        if user.department_id is None:
            return qs.none()
        return qs.filter(department_id=user.department_id)
    if permissions.is_desk_user(user):
        conversations = permissions.visible_conversations(user, Conversation.objects.all())
        return qs.filter(pk__in=FollowUp.objects.filter(conversations__in=conversations).values("pk"))
    return qs.none()


def may_see(user: User, followup: FollowUp) -> bool:
    return visible_followups(user, FollowUp.objects.filter(pk=followup.pk)).exists()


def may_work_on(user: User, followup: FollowUp) -> bool:
    """Change status, owner and due date, and reply as the department."""
    if oversees(user):
        return True
    return bool(
        permissions.is_department_member(user)
        and user.department_id is not None
        and user.department_id == followup.department_id
    )


def may_comment(user: User, followup: FollowUp) -> bool:
    """The department and overseers, and agents who may see it (they add what customers say)."""
    return may_work_on(user, followup) or (permissions.is_desk_user(user) and may_see(user, followup))


def may_open_conversation(user: User, conversation: Conversation) -> bool:
    return (
        permissions.is_desk_user(user)
        and permissions.visible_conversations(user, Conversation.objects.filter(pk=conversation.pk)).exists()
    )


def may_read_mention(user: User, mention: CaseMention) -> bool:
    """The member it names, and overseers; agents read the answer on the desk, as a note."""
    return bool(user.is_authenticated and user.is_active and (mention.member_id == user.pk or oversees(user)))


def may_answer_mention(user: User, mention: CaseMention) -> bool:
    return bool(user.is_authenticated and user.is_active and mention.member_id == user.pk)
