"""Invitations: one-time signed links per person, sent by email (a task) and reminded at most twice."""

import secrets
from datetime import datetime, timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity, Customer
from dabai.surveys import conf
from dabai.surveys.models import Invitation, Survey

TOKEN_SALT = "dabai.surveys.invitation"


class InvitationClosed(Exception):
    """The invitation cannot take an answer: ``reason`` is "answered", "expired" or "closed"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def invite(
    survey: Survey,
    *,
    email: str = "",
    name: str = "",
    user: User | None = None,
    customer: Customer | None = None,
    expires_at: datetime | None = None,
) -> Invitation:
    """An invitation for one person: a staff user, a customer, or an outside email address (with a name).

    Inviting the same person twice returns their existing invitation (one person, one answer).
    """
    email = email.strip().lower()
    if not (email or user or customer):
        raise ValidationError(_("Say whom to invite: a user, a customer or an email address."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            message = _("%(email)s is not an email address.") % {"email": email}
            raise ValidationError({"email": message}) from None
    same = survey.invitations.all()
    if user is not None:
        same = same.filter(user=user)
    elif customer is not None:
        same = same.filter(customer=customer)
    else:
        same = same.filter(email=email, user__isnull=True, customer__isnull=True)
    existing = same.first()
    if existing is not None:
        return existing
    return Invitation.objects.create(
        survey=survey,
        user=user,
        customer=customer,
        email=email,
        name=name.strip()[:100],
        nonce=secrets.token_urlsafe(16),
        expires_at=expires_at or timezone.now() + timedelta(days=conf.invitation_valid_days()),
    )


def invitation_token(invitation: Invitation) -> str:
    """Signed (the secret key) and unguessable (a random nonce stored with the invitation)."""
    return signing.dumps([invitation.pk, invitation.nonce], salt=TOKEN_SALT)


def invitation_path(invitation: Invitation) -> str:
    return reverse("surveys:answer", kwargs={"token": invitation_token(invitation)})


def invitation_link(invitation: Invitation) -> str:
    return conf.public_url() + invitation_path(invitation)


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link points at, or None for a forged, mangled or replaced token."""
    try:
        pk, nonce = signing.loads(token, salt=TOKEN_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(pk, int) or not isinstance(nonce, str):
        return None
    invitation = Invitation.objects.select_related("survey").filter(pk=pk).first()
    if invitation is None or not secrets.compare_digest(invitation.nonce, nonce):
        return None
    return invitation


def closed_reason(invitation: Invitation, now: datetime | None = None) -> str:
    """Why this invitation takes no answer ("" when it does)."""
    now = now or timezone.now()
    if invitation.answered_at is not None:
        return "answered"
    if invitation.expires_at <= now:
        return "expired"
    if not invitation.survey.is_open:
        return "closed"
    return ""


def recipient(invitation: Invitation) -> str:
    """The email address an invitation goes to: its own, the user's, or the customer's email handle."""
    if invitation.email:
        return invitation.email
    if invitation.user_id and invitation.user.email:
        return invitation.user.email
    if invitation.customer_id:
        handles = ChannelIdentity.objects.filter(customer_id=invitation.customer_id, channel=Channel.EMAIL)
        handle = handles.order_by("-created_at").first()
        if handle is not None:
            return handle.external_id
    return ""


def send_invitation(invitation: Invitation, *, subject: str, body: str) -> Invitation:
    """Email the invitation (by task, after commit, with retries). ``body`` may place the link with
    ``{link}``; otherwise the link is added at the end. Reminders repeat this subject and body."""
    from dabai.surveys import tasks

    reason = closed_reason(invitation)
    if reason:
        raise InvitationClosed(reason)
    if not recipient(invitation):
        raise ValidationError(_("%(who)s has no email address.") % {"who": invitation.display_name})
    invitation.subject, invitation.body = subject.strip()[:200], body
    invitation.save(update_fields=["subject", "body"])
    pk = invitation.pk
    transaction.on_commit(lambda: tasks.deliver_invitation.enqueue(pk, "invitation"))
    return invitation


def deliver(invitation: Invitation, kind: str) -> bool:
    """Send one invitation or reminder email now (called by the task). False when it may no longer go."""
    if closed_reason(invitation) or not recipient(invitation):
        return False
    link = invitation_link(invitation)
    body = invitation.body
    body = body.replace("{link}", link) if "{link}" in body else f"{body}\n\n{link}"
    subject = invitation.subject
    if kind == "reminder":
        with translation.override("zh-hans"):
            subject = _("Reminder: %(subject)s") % {"subject": subject}
    EmailMessage(subject=subject, body=body, to=[recipient(invitation)]).send()
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(sent_at=now)
    Invitation.objects.filter(pk=invitation.pk).update(last_sent_at=now)
    return True


def send_reminders(survey: Survey, *, min_gap: timedelta | None = None) -> int:
    """Remind everyone invited who has not answered: at most two reminders per invitation, never after an
    answer, an expiry or the survey's closing. ``min_gap`` (none by default) skips people emailed more
    recently than that. Returns how many reminders were queued."""
    from dabai.surveys import tasks

    now = timezone.now()
    if not survey.is_open:
        return 0
    with transaction.atomic():
        due = Invitation.objects.select_for_update().filter(
            survey=survey,
            sent_at__isnull=False,
            answered_at__isnull=True,
            expires_at__gt=now,
            reminders_sent__lt=conf.MAX_REMINDERS,
        )
        if min_gap:
            due = due.filter(last_sent_at__lte=now - min_gap)
        ids = list(due.values_list("pk", flat=True))
        Invitation.objects.filter(pk__in=ids).update(reminders_sent=F("reminders_sent") + 1)
        for pk in ids:
            transaction.on_commit(lambda pk=pk: tasks.deliver_invitation.enqueue(pk, "reminder"))
    return len(ids)
