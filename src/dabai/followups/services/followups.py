"""Follow-ups: open, move along, comment, own, link cases, and close the loop with the agents."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import Department, Role, User
from dabai.accounts.services import record_audit
from dabai.conversations.models import Conversation
from dabai.followups import notify, policy
from dabai.followups.models import (
    CLOSED,
    EventKind,
    FollowUp,
    FollowUpEvent,
    NoticeKind,
    Source,
    Status,
)
from dabai.insights import masking
from dabai.insights.models import Topic

TITLE_MAX = 200
BODY_MAX = 5000

# Which status may follow which: closing needs a resolution note; a closed follow-up can be reopened.
TRANSITIONS: dict[str, set[str]] = {
    Status.OPEN: {Status.IN_PROGRESS, Status.DONE, Status.WONT_DO},
    Status.IN_PROGRESS: {Status.OPEN, Status.DONE, Status.WONT_DO},
    Status.DONE: {Status.OPEN},
    Status.WONT_DO: {Status.OPEN},
}


def _names(conversations: Iterable[Conversation]) -> list[str]:
    return [c.customer.display_name for c in conversations if c.customer.display_name]


def _linked_names(followup: FollowUp) -> list[str]:
    return list(
        followup.conversations.exclude(customer__display_name="").values_list(
            "customer__display_name", flat=True
        )
    )


def _clean(text: str, names: Iterable[str], limit: int = BODY_MAX) -> str:
    return masking.for_departments((text or "").strip()[:limit], names)


def _log(followup: FollowUp, kind: str, actor: User | None, body: str = "", **fields) -> FollowUpEvent:
    return FollowUpEvent.objects.create(followup=followup, kind=kind, actor=actor, body=body, **fields)


def _department_people(department: Department) -> list[User]:
    return list(User.objects.filter(department=department, role=Role.DEPARTMENT, is_active=True))


def _watchers(followup: FollowUp) -> list[User]:
    """Who hears of a reply: the owner (or the whole department without one) and whoever opened it."""
    people = [followup.owner] if followup.owner_id else _department_people(followup.department)
    return [p for p in (*people, followup.opened_by) if p is not None]


def resolve_topic(topic_key: str) -> Topic | None:
    """The portal topic a key names: ``topic:<id>``, a topic's own key (``intent:billing``, ``cluster:3``) or
    a bare intent (``billing``). Unknown keys resolve to nothing (the key is still kept)."""
    key = (topic_key or "").strip()
    if not key:
        return None
    if key.startswith("topic:") and key[6:].isdigit():
        return Topic.objects.filter(pk=int(key[6:])).first()
    return Topic.objects.filter(key__in=[key, f"intent:{key}"]).order_by("key").first()


def open_followup(
    *,
    title: str,
    department: Department,
    opened_by: User | None,
    description: str = "",
    owner: User | None = None,
    due: date | None = None,
    conversations: Iterable[Conversation] = (),
    topic_key: str = "",
    source: str = Source.CASE,
    source_ref: str = "",
) -> FollowUp:
    """A department now owns doing something about what customers said; its people are told."""
    conversations = list(conversations)
    names = _names(conversations)
    title = _clean(title, names, TITLE_MAX)
    if not title:
        raise ValidationError({"title": _("Give the follow-up a title.")})
    if source not in Source.values:
        raise ValidationError({"source": _("Unknown source.")})
    if owner is not None and owner.department_id != department.pk:
        raise ValidationError({"owner": _("The owner must belong to the owning department.")})
    with transaction.atomic():
        followup = FollowUp.objects.create(
            title=title,
            description=_clean(description, names),
            department=department,
            owner=owner,
            due=due,
            opened_by=opened_by,
            topic=resolve_topic(topic_key),
            topic_key=topic_key.strip()[:64],
            source=source,
            source_ref=source_ref.strip()[:200],
        )
        if conversations:
            followup.conversations.add(*conversations)
        _log(followup, EventKind.OPENED, opened_by, detail={"source": source, "cases": len(conversations)})
        record_audit(
            opened_by,
            "followup.open",
            followup,
            {"department": department.pk, "cases": [c.pk for c in conversations], "source": source},
        )
        text = _("%(department)s has a new follow-up: %(title)s") % {
            "department": department.name,
            "title": followup.title,
        }
        if owner is not None:
            notify.notify([owner], NoticeKind.ASSIGNED, text=text, followup=followup, skip=opened_by)
        else:
            notify.notify(
                _department_people(department),
                NoticeKind.OPENED,
                text=text,
                followup=followup,
                skip=opened_by,
            )
    return followup


def change_status(followup: FollowUp, status: str, *, actor: User | None, note: str = "") -> FollowUp:
    """Move the follow-up along; closing it records the resolution and tells the agents of its cases."""
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    old = followup.status
    if status == old:
        return followup
    if status not in TRANSITIONS[old]:
        raise ValidationError(
            {
                "status": _("A follow-up cannot go from “%(old)s” to “%(new)s”.")
                % {"old": Status(old).label, "new": Status(status).label}
            }
        )
    note = _clean(note, _linked_names(followup))
    if status in CLOSED and not (note or followup.resolution_note):
        raise ValidationError(
            {"note": _("Say what was done (or why not): the agents pass it on to customers.")}
        )
    with transaction.atomic():
        followup.status = status
        fields = ["status", "updated_at"]
        if status in CLOSED:
            followup.closed_at = timezone.now()
            if note:
                followup.resolution_note = note
            fields += ["closed_at", "resolution_note"]
        elif old in CLOSED:
            followup.closed_at = None
            fields.append("closed_at")
        followup.save(update_fields=fields)
        _log(followup, EventKind.STATUS, actor, note, from_status=old, to_status=status)
        record_audit(actor, "followup.status", followup, {"from": old, "to": status})
        if status in CLOSED:
            close_the_loop(followup, actor=actor)
        elif followup.opened_by_id and (actor is None or followup.opened_by_id != actor.pk):
            notify.notify(
                [followup.opened_by],
                NoticeKind.REPLY,
                text=_("%(title)s is now %(status)s")
                % {"title": followup.title, "status": Status(status).label},
                followup=followup,
            )
    return followup


def close_the_loop(followup: FollowUp, *, actor: User | None) -> int:
    """Tell the agents of the linked conversations what the department did, with a message for the customer.

    Each agent gets one notice per conversation (it opens that conversation on the desk) carrying a draft they
    may send. Returns how many notices were made.
    """
    done = followup.status == Status.DONE
    kind = NoticeKind.DONE if done else NoticeKind.WONT_DO
    made = 0
    conversations = followup.conversations.select_related("assignee")
    for conversation in conversations:
        agents = [conversation.assignee] if conversation.assignee_id else []
        agents += list(
            User.objects.filter(messages__conversation=conversation, role__in=[Role.AGENT, Role.SUPERVISOR])
            .filter(Q(messages__direction="outbound") | Q(messages__direction="note"))
            .distinct()
        )
        agents = [a for a in agents if policy.may_open_conversation(a, conversation)]
        if not agents:
            continue
        text = _("%(department)s closed “%(title)s” (%(status)s): %(note)s") % {
            "department": followup.department.name,
            "title": followup.title,
            "status": Status(followup.status).label,
            "note": followup.resolution_note,
        }
        made += len(
            notify.notify(
                agents,
                kind,
                text=text,
                followup=followup,
                conversation_id=conversation.pk,
                draft=customer_draft(followup) if done else "",
                skip=actor,
            )
        )
    if made:
        _log(followup, EventKind.NOTIFIED, actor, detail={"notices": made})
    return made


def customer_draft(followup: FollowUp) -> str:
    """What an agent may tell the customer once the department fixed it (they edit before sending)."""
    return _(
        "Hello, about the problem you told us about: our %(department)s has dealt with it: %(note)s "
        "Thank you for your feedback, it helps us do better. If you have any other question, contact us "
        "any time."
    ) % {"department": followup.department.name, "note": _sentence(followup.resolution_note)}


def _sentence(text: str) -> str:
    """The note as a finished sentence, so the draft's next sentence does not run into it."""
    text = text.strip()
    if not text or text.endswith(("。", "！", "？", ".", "!", "?", "…")):
        return text
    return text + ("。" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else ".")


def comment(followup: FollowUp, *, actor: User, body: str) -> FollowUpEvent:
    """A comment on the log; from the owning department it is their reply, and the opener hears of it."""
    body = _clean(body, _linked_names(followup))
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    is_department = actor.role == Role.DEPARTMENT and actor.department_id == followup.department_id
    kind = EventKind.REPLY if is_department else EventKind.COMMENT
    with transaction.atomic():
        event = _log(followup, kind, actor, body)
        FollowUp.objects.filter(pk=followup.pk).update(updated_at=timezone.now())
        record_audit(actor, f"followup.{kind}", followup, {"event": event.pk})
        notify.notify(
            _watchers(followup),
            NoticeKind.REPLY,
            text=_("%(who)s on “%(title)s”: %(body)s")
            % {"who": actor, "title": followup.title, "body": body[:300]},
            followup=followup,
            skip=actor,
        )
    return event


def assign_owner(followup: FollowUp, owner: User | None, *, actor: User) -> FollowUp:
    """Give the follow-up to one person of its department (or back to the department with ``None``)."""
    if owner is not None and (owner.department_id != followup.department_id or not owner.is_active):
        raise ValidationError({"owner": _("The owner must belong to the owning department.")})
    old = followup.owner_id
    if old == (owner.pk if owner else None):
        return followup
    with transaction.atomic():
        followup.owner = owner
        followup.save(update_fields=["owner", "updated_at"])
        _log(followup, EventKind.OWNER, actor, detail={"from": old, "to": owner.pk if owner else None})
        record_audit(actor, "followup.owner", followup, {"from": old, "to": owner.pk if owner else None})
        if owner is not None:
            notify.notify(
                [owner],
                NoticeKind.ASSIGNED,
                text=_("%(who)s gave you the follow-up “%(title)s”")
                % {"who": actor, "title": followup.title},
                followup=followup,
                skip=actor,
            )
    return followup


def set_due(followup: FollowUp, due: date | None, *, actor: User) -> FollowUp:
    old = followup.due
    if old == due:
        return followup
    with transaction.atomic():
        followup.due = due
        followup.save(update_fields=["due", "updated_at"])
        _log(followup, EventKind.DUE, actor, detail={"from": str(old or ""), "to": str(due or "")})
        record_audit(actor, "followup.due", followup, {"from": str(old or ""), "to": str(due or "")})
    return followup


def link_conversations(
    followup: FollowUp, conversations: Iterable[Conversation], *, actor: User | None
) -> int:
    """Add cases to a follow-up (a programme's or an emerging issue's new evidence); returns how many are
    new."""
    new = [c for c in conversations if not followup.conversations.filter(pk=c.pk).exists()]
    if not new:
        return 0
    with transaction.atomic():
        followup.conversations.add(*new)
        _log(followup, EventKind.LINKED, actor, detail={"cases": [c.pk for c in new]})
        record_audit(actor, "followup.link", followup, {"cases": [c.pk for c in new]})
    return len(new)


def record_view(actor: User, followup: FollowUp, request=None) -> None:
    """Opening a follow-up shows masked cases: audited like the portal's case views."""
    record_audit(actor, "followup.view", followup, request=request)


def record_export(actor: User, count: int, request=None) -> None:
    record_audit(actor, "followup.export", actor, {"rows": count}, request=request)
