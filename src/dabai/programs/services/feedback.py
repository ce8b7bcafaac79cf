"""The feedback survey after a session, through the reusable surveys app, and its figures for planning.

The organiser reads the last session's answers while writing the next session's "what we changed since last
time" (shown on its invitation): the loop seed 003 describes (调整新一期培训的课程安排).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.programs.models import Kind, Registration, RegStatus, Session

QUESTIONS = {
    Kind.TRAINING: [
        {"kind": "rating", "text": "整体而言，您对本次培训的满意度如何？"},
        {"kind": "nps", "text": "您有多大可能向同事推荐参加这个培训？"},
        {
            "kind": "single",
            "text": "哪个环节对您的工作帮助最大？",
            "choices": ["课堂培训", "实时观摩", "讨论", "案例分析"],
        },
        {"kind": "text", "text": "下一期我们应该改进什么？", "required": False},
    ],
    Kind.MEETUP: [
        {"kind": "rating", "text": "您对本次用户见面会的满意度如何？"},
        {"kind": "nps", "text": "您有多大可能向朋友推荐我们的见面会？"},
        {"kind": "text", "text": "您还有什么问题或建议？", "required": False},
    ],
    Kind.VISIT: [
        {"kind": "rating", "text": "您对这次拜访的满意度如何？"},
        {"kind": "text", "text": "还有什么想告诉我们的？", "required": False},
    ],
}


class FeedbackError(ValueError):
    pass


def send_feedback_survey(session: Session, *, actor: User, send: bool = True) -> int:
    """Create the session's survey once and invite everyone who attended; returns how many were invited.
    ``send=False`` only creates the invitations (answers collected on paper, the demo)."""
    from dabai.surveys.services import create_survey, invite, send_invitation

    attendees = list(Registration.objects.filter(session=session, status=RegStatus.ATTENDED))
    if not attendees:
        raise FeedbackError(_("nobody has attended this session"))
    with transaction.atomic():
        survey = _survey(session, actor, create_survey)
        for registration in attendees:
            invitation = invite(
                survey,
                user=registration.user,
                email="" if registration.user else registration.email,
                name=registration.name,
            )
            # Without an email address the link waits on the person's own page (programs:mine).
            if send and registration.email and invitation.sent_at is None and not invitation.subject:
                send_invitation(
                    invitation,
                    subject=f"【问卷】{session.programme.name} · {session.title}",
                    body=(
                        f"{registration.name}，您好：\n\n感谢您参加{session.title}。请花两分钟告诉我们您的感受，"
                        "我们会据此调整下一期的安排：\n{link}\n\n大白客户服务中心"
                    ),
                )
        record_audit(actor, "programs.survey_sent", session, {"invited": len(attendees)})
    return len(attendees)


def _survey(session: Session, actor: User, create_survey):
    from dabai.surveys.models import Survey

    if session.survey_id:
        found = Survey.objects.filter(pk=session.survey_id).first()
        if found is not None:
            return found
    survey = create_survey(
        title=f"{session.programme.name} · {session.title} 反馈问卷",
        questions=QUESTIONS[session.programme.kind],
        owner=actor,
        purpose="programs.session",
        subject_ref=f"session:{session.pk}",
        intro="感谢您的参与！您的意见会直接影响下一期的安排。",
    )
    Session.objects.filter(pk=session.pk).update(survey_id=survey.pk)
    session.survey_id = survey.pk
    return survey


def remind_survey(session: Session) -> int:
    """Remind who has not answered (the surveys app caps reminders at two per person)."""
    from dabai.surveys.models import Survey
    from dabai.surveys.services import send_reminders

    survey = Survey.objects.filter(pk=session.survey_id).first() if session.survey_id else None
    return send_reminders(survey) if survey is not None else 0
