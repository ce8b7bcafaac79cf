"""What the customer reads when the bot steps aside: their place in the queue and the wait, or, out of hours,
when a person will answer and an offer to leave a contact.

Why its own module: these sentences are built from routing's live figures (queue, team averages, opening
hours) and must be right on every hand-over and every later "转人工", while ``bot.py`` decides *whether* to
hand over. The figures are read through ``dabai.routing.selectors`` (routing owns queues and calendars).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.conversations.models import Conversation
from dabai.filter.pii import EMAIL_RE, MOBILE_RE, mask_span
from dabai.routing import selectors as routing

# A landline with its area code, as customers write it (010-12345678, 0571 8888 6666).
LANDLINE_RE = re.compile(r"(?<![0-9])0[1-9][0-9]{1,2}[- ]?[2-9][0-9]{6,7}(?![0-9])")


@dataclass(frozen=True)
class Wait:
    """Where the customer stands: customers ahead and minutes, or (out of hours) when people are back."""

    ahead: int
    minutes: int
    opens_at: datetime | None

    @property
    def out_of_hours(self) -> bool:
        return self.opens_at is not None


def wait_for(conversation: Conversation, now: datetime | None = None) -> Wait:
    now = now or timezone.now()
    opens_at = routing.next_opening(conversation.team_id, now)
    ahead = routing.queue_ahead(conversation)
    return Wait(ahead, routing.estimated_wait_minutes(conversation, ahead, now), opens_at)


def when_text(opens_at: datetime, now: datetime, tz) -> str:
    """ "今天 09:00", "明天 09:00", else "12月3日 09:00" (in the team's time zone)."""
    local, today = opens_at.astimezone(tz), now.astimezone(tz).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return _("today %(time)s") % {"time": clock}
    if local.date() == today + timedelta(days=1):
        return _("tomorrow %(time)s") % {"time": clock}
    return _("%(month)d/%(day)d %(time)s") % {"month": local.month, "day": local.day, "time": clock}


def queue_text(conversation: Conversation, wait: Wait, now: datetime | None = None) -> str:
    """The sentence the customer reads at once (in the active language)."""
    now = now or timezone.now()
    if wait.out_of_hours:
        calendar = routing.working_calendar(conversation.team_id)
        return _(
            "Our team is off duty now; a person will answer from %(when)s. Leave your mobile number or email "
            "here and we will contact you as soon as we are back."
        ) % {"when": when_text(wait.opens_at, now, calendar.zone)}
    return _(
        "Connecting you to a customer service agent: %(ahead)d ahead of you, "
        "about %(minutes)d minutes to wait."
    ) % {"ahead": wait.ahead, "minutes": wait.minutes}


@dataclass(frozen=True)
class Contact:
    phones: tuple[str, ...]
    emails: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.phones or self.emails)

    def masked(self) -> str:
        """For the customer's acknowledgement: recognisable, not readable over a shoulder."""
        return "、".join(
            [mask_span("phone", p) for p in self.phones] + [mask_span("email", e) for e in self.emails]
        )

    def plain(self) -> str:
        return "、".join(self.phones + self.emails)


def contact_in(text: str) -> Contact:
    """The mobile numbers, landlines and email addresses a customer wrote (e.g. "13812345678 找我")."""
    phones = [m.group() for m in MOBILE_RE.finditer(text)]
    phones += [m.group() for m in LANDLINE_RE.finditer(text) if not any(m.group() in p for p in phones)]
    emails = [m.group().lower() for m in EMAIL_RE.finditer(text)]
    return Contact(tuple(dict.fromkeys(phones)), tuple(dict.fromkeys(emails)))
