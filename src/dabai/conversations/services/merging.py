"""Merging two conversations of one customer and splitting messages off into a new one, both undoable.

A customer who writes about the same broken line by WeChat and then by phone makes two conversations; an
agent merges them so one person answers one thread. The absorbed conversation's messages move to the
surviving one (the thread interleaves by time, since it is ordered by ``sent_at``), the counters are
recomputed from the messages, and the absorbed conversation is closed and points to the survivor (its SLA
clocks end with the close; the survivor's clocks, team and assignee carry on: routing follows the survivor).
A customer writing into the absorbed conversation's thread later reaches the survivor (see
``intake._survivor``).

Splitting moves chosen messages into a new conversation of the same customer and channel (a second issue
raised in the same chat). The new conversation keeps the source's team and assignee; its SLA clocks are
started by routing's minute sweep, which starts the clocks of any active conversation that has none.

Both are recorded (``ConversationMerge``, ``ConversationSplit``) with the moved message ids and the columns
they changed, so a supervisor can undo them exactly: the moved messages go back (messages that arrived
after the merge stay where they arrived), the columns come back, both conversations are recounted.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop

from dabai.accounts.models import User
from dabai.accounts.permissions import is_supervisor, visible_conversations
from dabai.accounts.services import record_audit
from dabai.conversations import signals
from dabai.conversations.live import publish_conversation_events
from dabai.conversations.models import (
    Conversation,
    ConversationMerge,
    ConversationSplit,
    Direction,
    Message,
    Status,
)
from dabai.conversations.services.intake import PREVIEW_LENGTH
from dabai.conversations.services.snooze import WakeReason, unsnooze
from dabai.conversations.services.workflow import change_status
from dabai.filter import mask

RECOUNTED = ["message_count", "last_message_at", "last_inbound_at", "first_response_at", "preview"]
KEPT = [*RECOUNTED, "status", "resolved_at", "closed_at", "priority", "snoozed_until"]


class CannotMerge(ValueError):
    """The two conversations cannot be merged. The message says why in English, marked for translation: the
    view shows it translated (``gettext(str(error))``)."""


class CannotSplit(ValueError):
    """These messages cannot be split off (the message says why, for the agent)."""


class CannotUndo(ValueError):
    """The merge or split cannot be undone (undone already, or the conversations moved on)."""


# ----------------------------------------------------------------------------------------------------- merge


def merge_conversations(
    *, surviving: Conversation, absorbed: Conversation, actor: User, request: Any = None
) -> ConversationMerge:
    """Move every message of ``absorbed`` into ``surviving`` (one customer's two conversations) and close it.

    Refused with ``CannotMerge``: merging a conversation into itself, conversations of different customers, a
    closed survivor (reopen it, or merge the other way), a conversation already merged. Both must be ones the
    actor may open. If the absorbed conversation was waiting on the centre (open) and the survivor was not,
    the survivor reopens (and wakes, if snoozed): the customer's question must not vanish into a resolved or
    sleeping thread.
    """
    if surviving.pk == absorbed.pk:
        raise CannotMerge(gettext_noop("a conversation cannot be merged into itself"))
    _require_visible(actor, surviving.pk, absorbed.pk)
    with transaction.atomic():
        locked = _lock(surviving.pk, absorbed.pk)
        survivor, gone = locked[surviving.pk], locked[absorbed.pk]
        if survivor.customer_id != gone.customer_id:
            raise CannotMerge(gettext_noop("only conversations of the same customer can be merged"))
        if gone.merged_into_id or survivor.merged_into_id:
            raise CannotMerge(gettext_noop("one of these conversations has already been merged into another"))
        if survivor.status == Status.CLOSED:
            raise CannotMerge(
                gettext_noop("the surviving conversation is closed: reopen it or merge the other way round")
            )
        merge = ConversationMerge.objects.create(
            surviving=survivor,
            absorbed=gone,
            moved_message_ids=list(gone.messages.order_by("sent_at", "id").values_list("pk", flat=True)),
            absorbed_state=_state(gone),
            surviving_state=_state(survivor),
            merged_by=actor,
        )
        Message.objects.filter(pk__in=merge.moved_message_ids).update(conversation=survivor)
        survivor.priority = max(survivor.priority, gone.priority)
        _recount(survivor, extra=["priority"])
        if gone.status == Status.OPEN and survivor.status != Status.OPEN:
            change_status(survivor, Status.OPEN, actor=actor)
        if gone.status == Status.OPEN and gone.snoozed_until is None and survivor.snoozed_until is not None:
            unsnooze(survivor, actor=actor, reason=WakeReason.MERGED)  # its customer is waiting: show it
        gone.merged_into = survivor
        _recount(gone, extra=["merged_into"])
        change_status(gone, Status.CLOSED, actor=actor)
        detail = {"merge": merge.pk, "surviving": survivor.pk, "absorbed": gone.pk}
        moved = {"messages": len(merge.moved_message_ids)}
        record_audit(actor, "conversation.merged", survivor, {**detail, **moved}, request=request)
        record_audit(actor, "conversation.merged_away", gone, detail, request=request)
        signals.merged.send(sender=Conversation, merge=merge, actor=actor)
    publish_conversation_events(
        [(survivor.pk, "conversation.merged", detail), (gone.pk, "conversation.merged", detail)]
    )
    surviving.refresh_from_db()
    absorbed.refresh_from_db()
    return merge


def undo_merge(merge: ConversationMerge, *, actor: User, request: Any = None) -> ConversationMerge:
    """A supervisor takes a merge back: the moved messages return, both conversations are as they were.

    Messages the customer or an agent wrote into the survivor after the merge stay there. The absorbed
    conversation gets its status and times back; the survivor gets back the status the merge changed (if it
    reopened it and nothing was written since) and its priority.
    """
    if not is_supervisor(actor):
        raise PermissionDenied
    with transaction.atomic():
        merge = ConversationMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at is not None:
            raise CannotUndo(gettext_noop("this merge has already been undone"))
        locked = _lock(merge.surviving_id, merge.absorbed_id)
        survivor, gone = locked[merge.surviving_id], locked[merge.absorbed_id]
        if gone.merged_into_id != survivor.pk:
            raise CannotUndo(gettext_noop("the absorbed conversation no longer points to the surviving one"))
        back = list(
            Message.objects.filter(pk__in=merge.moved_message_ids, conversation=survivor).values_list(
                "pk", flat=True
            )
        )
        Message.objects.filter(pk__in=back).update(conversation=gone)
        gone.merged_into = None
        _restore(gone, merge.absorbed_state, actor)
        written_since = survivor.messages.filter(created_at__gt=merge.merged_at).exists()
        if not written_since:
            _restore(survivor, merge.surviving_state, actor)
        else:
            _recount(survivor)
        merge.undone_at, merge.undone_by = timezone.now(), actor
        merge.save(update_fields=["undone_at", "undone_by"])
        detail = {"merge": merge.pk, "surviving": survivor.pk, "absorbed": gone.pk, "messages": len(back)}
        record_audit(actor, "conversation.merge_undone", survivor, detail, request=request)
        record_audit(actor, "conversation.merge_undone", gone, detail, request=request)
    publish_conversation_events(
        [(survivor.pk, "conversation.merge_undone", {}), (gone.pk, "conversation.merge_undone", {})]
    )
    return merge


# ----------------------------------------------------------------------------------------------------- split


def split_conversation(
    conversation: Conversation, message_ids: list[int], *, actor: User, request: Any = None
) -> ConversationSplit:
    """Move the chosen messages into a new conversation of the same customer, channel and team.

    Refused with ``CannotSplit``: no message chosen, a message of another conversation, every message (nothing
    would be left), only internal notes (a conversation needs a customer message or a reply), a merged-away
    conversation. The new conversation is open when its latest message is the customer's, else pending.
    """
    ids = sorted({int(pk) for pk in message_ids})
    if not ids:
        raise CannotSplit(gettext_noop("choose the messages to split off"))
    _require_visible(actor, conversation.pk)
    with transaction.atomic():
        source = _lock(conversation.pk)[conversation.pk]
        if source.merged_into_id:
            raise CannotSplit(
                gettext_noop("this conversation was merged into another; split that one instead")
            )
        chosen = list(source.messages.filter(pk__in=ids).order_by("sent_at", "id"))
        foreign = sorted(set(ids) - {m.pk for m in chosen})
        if foreign:
            raise CannotSplit(f"messages {foreign} are not in this conversation")  # ids: not translated
        remaining = source.messages.exclude(pk__in=ids)
        if not remaining.exclude(direction=Direction.NOTE).exists():
            raise CannotSplit(
                gettext_noop("at least one customer message or reply must stay in the conversation")
            )
        written = [m for m in chosen if m.direction != Direction.NOTE]
        if not written:
            raise CannotSplit(
                gettext_noop("choose at least one customer message or reply, not only internal notes")
            )
        created = Conversation.objects.create(
            customer_id=source.customer_id,
            channel=source.channel,
            subject=source.subject,
            is_public=source.is_public,
            team_id=source.team_id,
            assignee_id=source.assignee_id,
            priority=source.priority,
            status=Status.OPEN if written[-1].direction == Direction.INBOUND else Status.PENDING,
            last_message_at=written[-1].sent_at,
        )
        split = ConversationSplit.objects.create(
            source=source, created=created, moved_message_ids=ids, source_state=_state(source), split_by=actor
        )
        Message.objects.filter(pk__in=ids).update(conversation=created)
        _recount(source)
        _recount(created)
        detail = {"split": split.pk, "source": source.pk, "created": created.pk, "messages": len(ids)}
        record_audit(actor, "conversation.split", source, detail, request=request)
        record_audit(actor, "conversation.split_off", created, detail, request=request)
        signals.split.send(sender=Conversation, split=split, actor=actor)
    publish_conversation_events(
        [(source.pk, "conversation.split", detail), (created.pk, "conversation.created", detail)]
    )
    conversation.refresh_from_db()
    return split


def undo_split(split: ConversationSplit, *, actor: User, request: Any = None) -> ConversationSplit:
    """A supervisor takes a split back: the messages return to their conversation, which is as it was.

    The split-off conversation is closed and points to the source (a late reply in its thread reaches the
    source), unless messages arrived in it after the split: those stay, and it stays as it is.
    """
    if not is_supervisor(actor):
        raise PermissionDenied
    with transaction.atomic():
        split = ConversationSplit.objects.select_for_update().get(pk=split.pk)
        if split.undone_at is not None:
            raise CannotUndo(gettext_noop("this split has already been undone"))
        locked = _lock(split.source_id, split.created_id)
        source, created = locked[split.source_id], locked[split.created_id]
        if source.merged_into_id:
            raise CannotUndo(
                gettext_noop("the conversation it was split from has since been merged into another")
            )
        back = list(
            Message.objects.filter(pk__in=split.moved_message_ids, conversation=created).values_list(
                "pk", flat=True
            )
        )
        Message.objects.filter(pk__in=back).update(conversation=source)
        written_since = source.messages.filter(created_at__gt=split.split_at).exists()
        if written_since:
            _recount(source)
        else:
            _restore(source, split.source_state, actor)
        if created.messages.exists():
            _recount(created)
        else:
            created.merged_into = source
            _recount(created, extra=["merged_into"])
            if created.status != Status.CLOSED:
                change_status(created, Status.CLOSED, actor=actor)
        split.undone_at, split.undone_by = timezone.now(), actor
        split.save(update_fields=["undone_at", "undone_by"])
        detail = {"split": split.pk, "source": source.pk, "created": created.pk, "messages": len(back)}
        record_audit(actor, "conversation.split_undone", source, detail, request=request)
        record_audit(actor, "conversation.split_undone", created, detail, request=request)
    publish_conversation_events(
        [(source.pk, "conversation.split_undone", {}), (created.pk, "conversation.split_undone", {})]
    )
    return split


# --------------------------------------------------------------------------------------------------- helpers


def _require_visible(actor: User, *pks: int) -> None:
    if visible_conversations(actor, Conversation.objects.filter(pk__in=pks)).count() != len(set(pks)):
        raise PermissionDenied


def _lock(*pks: int) -> dict[int, Conversation]:
    """The conversations, locked in id order (two merges of the same pair never deadlock)."""
    rows = Conversation.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    found = {c.pk: c for c in rows}
    if len(found) != len(set(pks)):
        raise Conversation.DoesNotExist
    return found


def _state(conversation: Conversation) -> dict[str, Any]:
    """The columns a merge or split changes, as JSON (times as ISO strings)."""
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name in KEPT
        for value in [getattr(conversation, name)]
    }


def _restore(conversation: Conversation, state: dict[str, Any], actor: User) -> None:
    """Put the kept columns back; a status change goes through ``change_status`` so routing hears it."""
    if conversation.status != state["status"]:
        change_status(conversation, state["status"], actor=actor)
    for name in KEPT:
        value = state.get(name)
        if name.endswith("_at") or name == "snoozed_until":
            value = parse_datetime(value) if value else None
        setattr(conversation, name, value)
    if conversation.snoozed_until is not None and conversation.snoozed_until <= timezone.now():
        conversation.snoozed_until = None  # its time passed meanwhile: it is awake
    conversation.save(update_fields=[*KEPT, "merged_into"])


def _recount(conversation: Conversation, extra: list[str] | None = None) -> None:
    """The counters from the messages now in the conversation, as intake and replies would have moved them.

    The message count and last message leave internal notes out; the first response is the earliest reply
    by a person (a bot's answer is self-service); the preview is the masked latest customer message.
    """
    written = Message.objects.filter(conversation=conversation).exclude(direction=Direction.NOTE)
    totals = written.aggregate(
        count=Count("id"),
        last=Max("sent_at"),
        last_in=Max("sent_at", filter=Q(direction=Direction.INBOUND)),
        first_reply=Min("sent_at", filter=Q(direction=Direction.OUTBOUND) & ~Q(author__is_automated=True)),
    )
    latest_in = written.filter(direction=Direction.INBOUND).order_by("-sent_at", "-id").first()
    conversation.message_count = totals["count"]
    conversation.last_message_at = totals["last"] or conversation.last_message_at
    conversation.last_inbound_at = totals["last_in"]
    conversation.first_response_at = totals["first_reply"]
    conversation.preview = mask(latest_in.body)[:PREVIEW_LENGTH] if latest_in else ""
    conversation.save(update_fields=[*RECOUNTED, *(extra or [])])
