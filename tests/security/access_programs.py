"""Programmes (dabai.programs): who may open which page.

Staff take part through their account (department members and supervisors); organising is for supervisors;
customers use public doors that open by a secret per-person token (``r/<token>/``) or show only what is public
(open meet-ups, a certificate's name / programme / date for a valid code). Every public door is rate-limited
per address (``programs/tests/test_public_doors.py``).
"""

from datetime import timedelta

from django.utils import timezone

from dabai.programs.models import Frequency, Kind, RegStatus
from dabai.programs.services import certificates, seats, visits
from dabai.testing import CustomerFactory

from .roles import EVERYONE, NOT_SUPERVISOR, NOT_VOC

PUBLIC = {
    "programs:meetups",
    "programs:meetup",
    "programs:mine",
    "programs:mine_answer",
    "programs:mine_qr",
    "programs:mine_calendar",
    "programs:mine_certificate",
    "programs:questions",
    "programs:questions_list",
    "programs:upvote",
    "programs:verify",
    "programs:verify_code",
}
DEPARTMENT_PAGES = {"programs:front"}

ORGANISER_SESSION_PAGES = [
    "session",
    "select",
    "agenda",
    "changes",
    "status",
    "cancel_registration",
    "remind",
    "pair",
    "add_note",
    "issue_certificates",
    "send_survey",
    "draw",
    "door_sign",
    "checkin",
    "staff_questions",
    "staff_questions_list",
    "answered",
    "question_draft",
    "sample",
]
# The observation view is the participant's own (a department member's registration here); the agent's
# desk it shows is masked and read-only, and nobody else's registration opens it.
OWN = EVERYONE - {"department", "supervisor", "admin"}
OBJECT_URLS = {
    "programs:register": [("programs_training", NOT_VOC)],
    "programs:observe": [("programs_registration", OWN)],
    "programs:observe_desk": [("programs_registration", OWN)],
    "programs:programme": [("programs_programme", NOT_SUPERVISOR)],
    **{f"programs:{name}": [("programs_training", NOT_SUPERVISOR)] for name in ORGANISER_SESSION_PAGES},
    "programs:visit_consent": [("programs_visit", NOT_SUPERVISOR)],
    "programs:visit_feedback": [("programs_visit", NOT_SUPERVISOR)],
    "programs:certificate": [("programs_registration", NOT_SUPERVISOR)],
    "programs:checkin_token": [("programs_registration", NOT_SUPERVISOR)],
}
KWARGS = {"programs:checkin_token": lambda registration: {"token": registration.token}}


def extend_world(world: dict, people: dict) -> None:
    start = timezone.now() + timedelta(days=10)
    training = seats.create_programme(
        name="深层次用户体验培训", kind=Kind.TRAINING, frequency=Frequency.BIMONTHLY
    )
    session = seats.create_session(
        training,
        title="第1期",
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        place="培训室",
        capacity=5,
    )
    registration = seats.register_staff(session, people["department_member"])
    registration.status = RegStatus.ATTENDED
    registration.save(update_fields=["status"])
    certificates.issue(registration, actor=people["supervisor"])
    visit_programme = seats.create_programme(name="用户拜访", kind=Kind.VISIT, frequency=Frequency.BIMONTHLY)
    visit_session = seats.create_session(
        visit_programme,
        title="拜访",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="客户家",
        capacity=3,
    )
    world["programs_programme"] = training
    world["programs_training"] = session
    world["programs_registration"] = registration
    world["programs_visit"] = visits.add_visit_customer(
        visit_session, CustomerFactory(display_name="拜访客户"), reason="随机", actor=people["supervisor"]
    )
