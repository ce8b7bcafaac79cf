"""Reads of programmes: what is open to register for, a session's figures, the organiser's dashboard, and
the observed agent's desk (masked) for side-by-side observation."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.conversations.models import Conversation, Direction, Message, Status
from dabai.filter import mask
from dabai.programs.models import (
    SEAT_HOLDING,
    Kind,
    Programme,
    Question,
    Registration,
    RegStatus,
    Session,
    SessionStatus,
)


def open_sessions(kinds: tuple[str, ...] = (Kind.TRAINING, Kind.VISIT)) -> QuerySet[Session]:
    """Sessions staff may register for: open and not yet started."""
    return (
        Session.objects.filter(
            status=SessionStatus.OPEN, programme__kind__in=kinds, starts_at__gt=timezone.now()
        )
        .select_related("programme")
        .order_by("starts_at")
    )


def public_meetups() -> QuerySet[Session]:
    return (
        Session.objects.filter(
            status=SessionStatus.OPEN, programme__kind=Kind.MEETUP, starts_at__gt=timezone.now()
        )
        .select_related("programme")
        .order_by("starts_at")
    )


def public_meetup(pk: int) -> Session | None:
    return public_meetups().filter(pk=pk).first()


def my_registrations(user: User) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(user=user)
        .select_related("session__programme")
        .order_by("-session__starts_at")
    )


def by_token(token: str) -> Registration | None:
    if not token or len(token) > 64:
        return None
    return Registration.objects.select_related("session__programme").filter(token=token).first()


def session(pk: int) -> Session | None:
    return Session.objects.select_related("programme").filter(pk=pk).first()


def programmes() -> QuerySet[Programme]:
    return Programme.objects.annotate(session_count=Count("sessions")).order_by("kind", "name")


@dataclass
class SessionFigures:
    session: Session
    counts: dict[str, int]
    seats_taken: int
    attended: int
    certificates: int
    questions: int = 0
    scores: object = None
    followups: dict = field(default_factory=dict)

    @property
    def seats_free(self) -> int:
        return max(0, self.session.capacity - self.seats_taken)


def figures(session: Session) -> SessionFigures:
    rows = Registration.objects.filter(session=session).values("status").annotate(n=Count("pk"))
    counts = {status: 0 for status in RegStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    certificates = Registration.objects.filter(session=session, certificate_code__isnull=False).count()
    return SessionFigures(
        session=session,
        counts=counts,
        seats_taken=sum(counts[s] for s in SEAT_HOLDING),
        attended=counts[RegStatus.ATTENDED],
        certificates=certificates,
        questions=Question.objects.filter(session=session).count(),
        scores=scores(session),
    )


def registrations(session: Session) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(session=session)
        .select_related("department", "observed_agent", "user")
        .order_by("status", "waiting_position", "name")
    )


def participants(session: Session) -> QuerySet[Registration]:
    """Who is (or was) in the room: for the door sign and the check-in list."""
    return (
        Registration.objects.filter(session=session, status__in=SEAT_HOLDING)
        .select_related("department", "observed_agent")
        .order_by("name")
    )


def search_attendees(session: Session, query: str) -> QuerySet[Registration]:
    query = query.strip()
    found = participants(session)
    if not query:
        return found
    digits = "".join(c for c in query if c.isdigit())
    condition = Q(name__icontains=query)
    if len(digits) >= 4:
        condition |= Q(phone__endswith=digits)
    return found.filter(condition)


def selection_rows(session: Session) -> list[dict]:
    """The stored selection with its outcome and reason in the reader's language."""
    reasons = {
        "seats_full": _("no seats left"),
        "first_time": _("first time: goes first"),
        "lottery": _("lottery"),
    }
    rows = []
    for row in session.selection_log or []:
        reason = str(row.get("reason", ""))
        if reason.startswith("quota:"):
            label = _("department quota of %(n)s reached") % {"n": reason.split(":", 1)[1]}
        else:
            label = reasons.get(reason, reason)
        rows.append({**row, "outcome_label": RegStatus(row["outcome"]).label, "reason_label": label})
    return rows


def questions(session: Session) -> QuerySet[Question]:
    return Question.objects.filter(session=session).order_by("answered_at", "-votes", "created_at")


def previous_session(session: Session) -> Session | None:
    return (
        Session.objects.filter(programme=session.programme, starts_at__lt=session.starts_at)
        .exclude(pk=session.pk)
        .order_by("-starts_at")
        .first()
    )


@dataclass(frozen=True)
class Scores:
    invited: int
    responses: int
    rating: float | None
    nps: float | None
    comments: list[str]


def scores(session: Session) -> Scores | None:
    """The session's survey figures (mean rating 1–5, NPS, masked comments), or None before a survey."""
    if not session.survey_id:
        return None
    from dabai.surveys.models import Survey
    from dabai.surveys.results import results

    survey = Survey.objects.filter(pk=session.survey_id).first()
    if survey is None:
        return None
    found = results(survey)
    rating = next((q.mean for q in found.questions if q.question.kind == "rating"), None)
    nps = next((q.nps for q in found.questions if q.question.kind == "nps"), None)
    comments = [t.text for q in found.questions for t in q.texts]
    return Scores(found.invited, found.responses, rating, nps, comments)


def survey_path(registration: Registration) -> str:
    """The person's own link to the session's feedback survey, while it still takes their answer."""
    if not registration.session.survey_id or registration.status != RegStatus.ATTENDED:
        return ""
    from dabai.surveys.models import Invitation
    from dabai.surveys.services import closed_reason, invitation_path

    invitations = Invitation.objects.select_related("survey").filter(survey_id=registration.session.survey_id)
    if registration.user_id:
        invitation = invitations.filter(user_id=registration.user_id).first()
    else:
        invitation = invitations.filter(email=registration.email, user__isnull=True).first()
    if invitation is None or closed_reason(invitation):
        return ""
    return invitation_path(invitation)


# ------------------------------------------------------------------------------------------ observation


@dataclass(frozen=True)
class ObservedConversation:
    channel: str
    subject: str
    status: str
    waiting_minutes: int
    last_customer_words: str


def observed_desk(agent: User, limit: int = 12) -> list[ObservedConversation]:
    """What the agent is handling now, as a participant may see it: every text masked (leniently), no ids."""
    conversations = list(
        Conversation.objects.filter(assignee=agent, status__in=[Status.OPEN, Status.PENDING]).order_by(
            "-last_message_at"
        )[:limit]
    )
    last_words = {}
    for message in Message.objects.filter(
        conversation_id__in=[c.pk for c in conversations], direction=Direction.INBOUND
    ).order_by("conversation_id", "sent_at"):
        last_words[message.conversation_id] = message.body
    now = timezone.now()
    return [
        ObservedConversation(
            channel=c.get_channel_display(),
            subject=mask(c.subject, lenient=True),
            status=c.get_status_display(),
            waiting_minutes=int((now - (c.last_inbound_at or c.last_message_at)).total_seconds() // 60),
            last_customer_words=mask(last_words.get(c.pk, ""), lenient=True)[:300],
        )
        for c in conversations
    ]


def observation_open(registration: Registration, now=None) -> bool:
    """The live view is for the day of the session, from check-in until an hour after it ends."""
    now = now or timezone.now()
    return (
        registration.status == RegStatus.ATTENDED
        and registration.observed_agent_id is not None
        and now <= registration.session.ends_at + timedelta(hours=1)
    )


# ------------------------------------------------------------------------------------------ dashboard


@dataclass
class DepartmentFollowups:
    department: str
    opened: int
    done: int


def programme_followups(programme: Programme) -> list[DepartmentFollowups]:
    """Follow-ups the programme's discussions and visits opened, and how many are done, per department."""
    from dabai.followups.models import FollowUp

    refs = [f"programs:session:{pk}:" for pk in programme.sessions.values_list("pk", flat=True)]
    if not refs:
        return []
    condition = Q()
    for ref in refs:
        condition |= Q(source_ref__startswith=ref)
    rows = (
        FollowUp.objects.filter(condition, source="programme")
        .values("department__name")
        .annotate(opened=Count("pk"), done=Count("pk", filter=Q(status="done")))
        .order_by("department__name")
    )
    return [DepartmentFollowups(r["department__name"], r["opened"], r["done"]) for r in rows]


def dashboard(programme: Programme) -> list[SessionFigures]:
    return [figures(s) for s in programme.sessions.select_related("programme").order_by("starts_at")]
