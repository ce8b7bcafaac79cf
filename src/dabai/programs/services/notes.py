"""Discussion notes of a session: topics, conclusions and cooperation intentions.

Each intention becomes a follow-up owned by the named department (``followups.services.open_followup`` with
``source="programme"``), so what participants promised lands in the department's own queue and counts in the
programme's outcome (follow-ups opened and done per department).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from dabai.accounts.models import Department, User
from dabai.accounts.services import record_audit
from dabai.programs.models import CooperationIntention, DiscussionNote, Session


def add_note(
    session: Session,
    *,
    topic: str,
    conclusion: str,
    author: User,
    intentions: list[tuple[Department, str]] = (),
) -> DiscussionNote:
    """Record one discussion topic; each (department, description) intention opens a follow-up there."""
    topic = topic.strip()
    if not topic:
        raise ValueError(_("a discussion note needs a topic"))
    with transaction.atomic():
        note = DiscussionNote.objects.create(
            session=session, topic=topic[:200], conclusion=conclusion.strip(), author=author
        )
        for department, description in intentions:
            if description.strip():
                add_intention(note, department=department, description=description, actor=author)
        record_audit(author, "programs.note_added", note)
    return note


def add_intention(
    note: DiscussionNote, *, department: Department, description: str, actor: User
) -> CooperationIntention:
    from dabai.followups.services import open_followup

    intention = CooperationIntention.objects.create(
        note=note, department=department, description=description.strip()
    )
    session = note.session
    followup = open_followup(
        title=f"{session.programme.name}：{note.topic}"[:200],
        department=department,
        opened_by=actor,
        description=(
            f"{description.strip()}\n\n——来自{session.title}（{session.starts_at:%Y-%m-%d}）的讨论："
            f"{note.conclusion}"
        ),
        source="programme",
        source_ref=f"programs:session:{session.pk}:intention:{intention.pk}",
    )
    CooperationIntention.objects.filter(pk=intention.pk).update(followup_id=followup.pk)
    intention.refresh_from_db()
    return intention
