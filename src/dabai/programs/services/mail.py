"""What people receive: invitation letters with a calendar invitation, confirmations, offers, cancellations.

Calendar files are built with ``icalendar`` (never by hand): METHOD:REQUEST with the Asia/Shanghai VTIMEZONE,
one stable UID per person and session, and a SEQUENCE that counts up with every update or cancellation, so
calendar programs replace the earlier version instead of adding a second event. Cancellations are
METHOD:CANCEL. Subjects are Chinese; Django encodes them as UTF-8 encoded-words.
"""

import logging
from email.mime.text import MIMEText
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar, Event, vCalAddress, vText

from dabai.programs import conf
from dabai.programs.models import Kind, Registration, RegStatus, Session

logger = logging.getLogger(__name__)
TZ = "Asia/Shanghai"
CALENDAR_KINDS = {"invitation", "confirmation", "update", "cancelled"}


def event_uid(registration: Registration) -> str:
    return f"programs-session-{registration.session_id}-registration-{registration.pk}@dabai"


def absolute(path: str) -> str:
    return conf.public_url() + path


def registration_link(registration: Registration) -> str:
    return absolute(reverse("programs:mine", args=[registration.token]))


def build_ics(registration: Registration, *, cancel: bool = False) -> bytes:
    """The person's calendar invitation (or its cancellation) for the session, at its current sequence."""
    session = registration.session
    tz = ZoneInfo(TZ)
    calendar = Calendar()
    calendar.add("prodid", "-//dabai//programs//ZH")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", event_uid(registration))
    event.add("sequence", registration.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", session.starts_at.astimezone(tz))
    event.add("dtend", session.ends_at.astimezone(tz))
    event.add("summary", f"{session.programme.name}：{session.title}")
    event.add("location", " ".join(part for part in (session.place, session.room) if part))
    event.add("description", _description(registration))
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}")
    organizer.params["cn"] = vText("大白客户服务中心")
    event.add("organizer", organizer)
    if registration.email:
        attendee = vCalAddress(f"mailto:{registration.email}")
        attendee.params["cn"] = vText(registration.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText(
            "ACCEPTED" if registration.status == RegStatus.CONFIRMED else "NEEDS-ACTION"
        )
        event.add("attendee", attendee)
    event.add("url", registration_link(registration))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _description(registration: Registration) -> str:
    session = registration.session
    lines = [
        item.starts_at.astimezone(ZoneInfo(TZ)).strftime("%H:%M ") + item.title
        for item in session.agenda.all()
    ]
    if session.changes_since_last:
        lines += ["", "本期改进：" + session.changes_since_last]
    return "\n".join(lines)


SUBJECTS = {
    "invitation": "【邀请函】{title}",
    "confirmation": "【报名成功】{title}",
    "waiting": "【候补登记】{title}",
    "offer": "【空出名额，请确认】{title}",
    "cancelled": "【已取消】{title}",
    "update": "【日程更新】{title}",
    "reminder": "【提醒】{title}",
}


def compose(registration: Registration, kind: str) -> EmailMultiAlternatives | None:
    """The email of one kind for one person, or None if they have no address."""
    if not registration.email:
        return None
    session = registration.session
    title = f"{session.programme.name} · {session.title}"
    with translation.override("zh-hans"):
        context = {
            "registration": registration,
            "session": session,
            "kind": kind,
            "link": registration_link(registration),
            "agenda": list(session.agenda.all()),
            "is_meetup": session.programme.kind == Kind.MEETUP,
        }
        body = render_to_string("programs/email/message.txt", context)
    message = EmailMultiAlternatives(
        subject=SUBJECTS[kind].format(title=title),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[registration.email],
    )
    if kind in CALENDAR_KINDS:
        cancel = kind == "cancelled"
        part = MIMEText(build_ics(registration, cancel=cancel).decode(), "calendar", "utf-8")
        part.set_param("method", "CANCEL" if cancel else "REQUEST")
        part.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(part)
    return message


def send(registration_id: int, kind: str) -> bool:
    """Send one message now (called by the task). Calendar messages count the person's sequence up first."""
    registration = (
        Registration.objects.select_related("session__programme").filter(pk=registration_id).first()
    )
    if registration is None:
        return False
    if kind in CALENDAR_KINDS and registration.invited_at is not None:
        Registration.objects.filter(pk=registration.pk).update(sequence=F("sequence") + 1)
        registration.refresh_from_db()
    message = compose(registration, kind)
    if message is None:
        return False
    message.send()
    if kind in CALENDAR_KINDS and registration.invited_at is None:
        Registration.objects.filter(pk=registration.pk).update(invited_at=timezone.now())
    return True


def sms_text(registration: Registration, kind: str) -> str:
    session = registration.session
    when = timezone.localtime(session.starts_at).strftime("%m月%d日 %H:%M")
    link = registration_link(registration)
    if kind == "offer":
        return f"【大白】{session.title}空出一个名额，请在截止前确认：{link}"
    return f"【大白】您已报名{session.title}（{when}，{session.place}）。取消或查看：{link}"


def send_sms(registration_id: int, kind: str) -> bool:
    """The confirmation by SMS through the SMS channel's gateway (respects 退订)."""
    from dabai.channels.services import is_subscribed
    from dabai.channels.texting import send_sms as gateway_send
    from dabai.core.choices import Channel

    registration = (
        Registration.objects.select_related("session__programme").filter(pk=registration_id).first()
    )
    if registration is None or not registration.phone:
        return False
    number = "".join(c for c in registration.phone if c.isdigit())
    if not is_subscribed(Channel.SMS, number):
        return False
    if not conf_sms_configured():
        logger.info("no SMS gateway configured: programme SMS for registration %s skipped", registration_id)
        return False
    gateway_send(number, sms_text(registration, kind))
    return True


def conf_sms_configured() -> bool:
    from dabai.channels import conf as channel_conf

    return bool(channel_conf.sms_gateway()["url"])


def notify_session_changed(session: Session) -> int:
    """Send the updated calendar to everyone holding a seat (their sequence counts up)."""
    from dabai.core.tasking import enqueue_on_commit
    from dabai.programs import tasks

    people = list(
        Registration.objects.filter(
            session=session, status__in=[RegStatus.SELECTED, RegStatus.CONFIRMED, RegStatus.OFFERED]
        ).values_list("pk", flat=True)
    )
    for pk in people:
        enqueue_on_commit(tasks.send_programme_mail, pk, "update")
    return len(people)
