"""Portal state changes: sending and checking one-time sign-in codes, and opening a new request.

The portal never says whether an address is known: the answer to "send me a code" is the same, and so is the
work done while the customer waits (the request only queues a task; the task looks the address up, makes the
code and sends it, with retries). Codes are stored as keyed hashes, expire ten minutes after they were sent,
allow five tries, and an address gets at most five codes an hour (a code whose delivery was given up does
not count). Guessing is throttled with django-axes per address (``portal:<address>``) and per network
address; one network address may ask for a limited number of codes an hour.
"""

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.files import File
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import Role, User
from dabai.accounts.services import record_audit
from dabai.channels.models import Attachment
from dabai.conversations.models import Conversation
from dabai.conversations.services import receive_message
from dabai.core import files
from dabai.core.choices import Channel
from dabai.core.tasking import enqueue_on_commit
from dabai.customers.models import ChannelIdentity, Customer
from dabai.filter import mask
from dabai.portal.models import SignInCode
from dabai.quality import services as quality
from dabai.quality.models import Survey, SurveyStatus

logger = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 5
MAX_CODE_REQUESTS_PER_IP_PER_HOUR = 20
PORTAL_CHANNEL = Channel.CHAT


def normalise_address(raw: str) -> tuple[str, str] | None:
    """("email", "a@b.cn") or ("phone", "13800001234"), or None if it is neither."""
    value = raw.strip()
    if "@" in value:
        local, _, domain = value.rpartition("@")
        return (SignInCode.Kind.EMAIL, value.lower()) if local and "." in domain else None
    digits = "".join(ch for ch in value if ch.isdigit())
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return (SignInCode.Kind.PHONE, digits) if 7 <= len(digits) <= 15 else None


def find_customer(kind: str, address: str) -> Customer | None:
    channels = [Channel.EMAIL] if kind == SignInCode.Kind.EMAIL else [Channel.PHONE, Channel.SMS]
    identity = (
        ChannelIdentity.objects.select_related("customer")
        .filter(channel__in=channels, external_id__iexact=address)
        .order_by("id")
        .first()
    )
    customer = identity.customer if identity else None
    while customer is not None and customer.merged_into_id:
        customer = customer.merged_into
    return customer


def _hash(code: str, address: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{address}:{code}".encode(), hashlib.sha256).hexdigest()


class CannotDeliver(Exception):
    """No way to send to this kind of address (e.g. no SMS gateway configured): retrying will not help."""


def _deliver(kind: str, address: str, code: str) -> None:
    """Hand the code to the mail server or SMS gateway; raises when that fails."""
    text = _("Your Dabai sign-in code is %(code)s. It expires in 10 minutes; never share it.") % {
        "code": code
    }
    if kind == SignInCode.Kind.EMAIL:
        send_mail(_("Your sign-in code"), text, None, [address])
        return
    from dabai.channels import conf
    from dabai.channels.sms import send_sms

    if not conf.sms_gateway()["url"]:
        raise CannotDeliver("no SMS gateway configured")
    send_sms(address, text)


def request_code(raw_address: str) -> bool:
    """Queue the sending of a sign-in code; returns False only for malformed input.

    Known and unknown addresses get the same treatment here: only the task finds out which one it is.
    """
    from dabai.portal.tasks import send_sign_in_code

    parsed = normalise_address(raw_address)
    if parsed is None:
        return False
    kind, address = parsed
    enqueue_on_commit(send_sign_in_code, kind, address)
    return True


def allow_code_request(ip: str | None) -> bool:
    """Count one code request from this network address; False once it asked too often this hour."""
    key = f"portal:code-requests:{ip or 'unknown'}:{int(timezone.now().timestamp() // 3600)}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count <= MAX_CODE_REQUESTS_PER_IP_PER_HOUR


def issue_code(kind: str, address: str) -> SignInCode | None:
    """The code to send to this address, or None if it belongs to no customer or had its codes this hour."""
    customer = find_customer(kind, address)
    if customer is None:
        logger.info("portal code requested for an unknown %s", kind)
        return None
    counted = SignInCode.objects.filter(
        address=address, created_at__gte=timezone.now() - timedelta(hours=1), failed_at__isnull=True
    )
    if counted.count() >= MAX_CODES_PER_HOUR:
        logger.warning("portal code limit reached for %s", mask(address))
        return None
    return SignInCode.objects.create(
        kind=kind, address=address, customer=customer, code_hash="", expires_at=timezone.now() + CODE_LIFETIME
    )


def deliver_code(code_id: int) -> bool:
    """Choose a fresh code and send it; False if the code is gone, used or given up.

    Raises if sending fails (the retry chooses another code).
    """
    pending = SignInCode.objects.filter(pk=code_id, used_at__isnull=True, failed_at__isnull=True).first()
    if pending is None:
        return False
    code = f"{secrets.randbelow(1_000_000):06d}"
    _deliver(pending.kind, pending.address, code)
    now = timezone.now()
    SignInCode.objects.filter(pk=pending.pk).update(
        code_hash=_hash(code, pending.address), sent_at=now, expires_at=now + CODE_LIFETIME
    )
    return True


def give_up_code(code_id: int) -> None:
    """Delivery failed for good: the code can never be used and no longer counts towards the hourly limit."""
    SignInCode.objects.filter(pk=code_id, sent_at__isnull=True).update(failed_at=timezone.now())


def throttle_name(address: str) -> str:
    """The name django-axes counts a portal address under (``dabai axes_reset_username portal:<address>``)."""
    parsed = normalise_address(address)
    return f"portal:{parsed[1] if parsed else address.strip().lower()}"


def sign_in_locked(request: HttpRequest, address: str) -> bool:
    """True while this address or this network address is locked out after too many wrong codes."""
    return AxesProxyHandler.is_locked(request, {"username": throttle_name(address)})


def record_failed_sign_in(request: HttpRequest, address: str) -> bool:
    """Count a wrong code for the address and the network address; True if that locks them out."""
    user_login_failed.send(sender=__name__, credentials={"username": throttle_name(address)}, request=request)
    return bool(getattr(request, "axes_locked_out", False))


def portal_user_for(customer: Customer) -> User:
    """The customer's portal account, created on first sign-in (no password: codes only)."""
    if customer.portal_user_id:
        return customer.portal_user
    user = User.objects.create(
        username=f"customer-{customer.pk}", role=Role.CUSTOMER, display_name=customer.display_name
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    customer.portal_user = user
    customer.save(update_fields=["portal_user"])
    return user


@transaction.atomic
def verify_code(raw_address: str, code: str) -> User | None:
    """The customer's portal user if the code is right, unused and fresh; every try counts."""
    parsed = normalise_address(raw_address)
    if parsed is None:
        return None
    _kind, address = parsed
    pending = (
        SignInCode.objects.select_for_update()
        .filter(address=address, used_at__isnull=True, sent_at__isnull=False, expires_at__gt=timezone.now())
        .order_by("-created_at", "-id")
        .first()
    )
    if pending is None or pending.attempts >= MAX_ATTEMPTS:
        return None
    pending.attempts += 1
    if not hmac.compare_digest(pending.code_hash, _hash(code.strip(), address)):
        pending.save(update_fields=["attempts"])
        return None
    pending.used_at = timezone.now()
    pending.save(update_fields=["attempts", "used_at"])
    user = portal_user_for(pending.customer)
    record_audit(user, "portal.sign_in", pending.customer, {"kind": pending.kind})
    return user


# A photo of the broken item or the error screen: raster images only, checked by content like the help
# centre's attachments (``dabai.core.files``).
PHOTO_KINDS = (files.PNG, files.JPEG, files.GIF, files.WEBP)
MAX_PHOTO_BYTES = 5 * 1024 * 1024


def check_photo(upload) -> files.FileKind:
    """The photo's kind, or ``files.RefusedFile`` saying why (too large, not an image, content ≠ name)."""
    return files.identify(upload, upload.name, kinds=PHOTO_KINDS, max_bytes=MAX_PHOTO_BYTES)


def _request_text(body: str, category: str, order_number: str) -> str:
    """What the agent reads first: the category and order number the customer chose, then their words."""
    lines = []
    if category:
        lines.append(_("Category: %(category)s") % {"category": category})
    if order_number:
        lines.append(_("Order number: %(number)s") % {"number": order_number})
    return "\n".join([*lines, body]) if lines else body


def open_request(
    customer: Customer,
    *,
    subject: str,
    body: str,
    category: str = "",
    order_number: str = "",
    photo=None,
) -> Conversation:
    """A new request from the portal is a new conversation, even if another one is still open.

    ``receive_message`` opens it (so SLA clocks start as for any new conversation). The photo (already
    checked with ``check_photo``) is kept beside the first message, under a random name, for the desk.
    """
    kind = check_photo(photo) if photo is not None else None
    with transaction.atomic():
        received = receive_message(
            channel=PORTAL_CHANNEL,
            customer=customer,
            body=_request_text(body, category, order_number),
            subject=subject,
            open_new=True,
        )
        if photo is not None and kind is not None:
            attachment = Attachment(
                message=received.message,
                filename=photo.name[:255],
                content_type=kind.content_type,
                size=photo.size,
            )
            attachment.file.save(f"{secrets.token_hex(8)}.{kind.extensions[0]}", File(photo), save=True)
    return received.message.conversation


# ------------------------------------------------------------------------------- rating a resolved request


@dataclass(frozen=True)
class Rating:
    """What the portal offers under a solved request: the survey's link, the answer given, or nothing."""

    link: str = ""
    rating: int | None = None
    offer: bool = False  # no survey yet, and quality's rules allow one now


def rating_for(conversation: Conversation) -> Rating:
    """The quality survey of this conversation as the customer may use it (its rules stay in quality)."""
    survey = Survey.objects.filter(conversation=conversation).first()
    if survey is not None:
        if survey.status == SurveyStatus.ANSWERED:
            return Rating(rating=survey.rating)
        if survey.expires_at > timezone.now():
            return Rating(link=quality.survey_link(survey))
        return Rating()
    if quality.survey_blocker(conversation) == "":
        return Rating(offer=True)
    return Rating()


def start_rating(conversation: Conversation) -> str:
    """The customer asks to rate: the quality app sends its one survey (or refuses: one per customer per N
    days, never to the unsubscribed) and the portal goes to its link; "" when no survey may go out."""
    existing = rating_for(conversation)
    if existing.link:
        return existing.link
    survey = quality.send_survey(conversation)
    return quality.survey_link(survey) if survey is not None else ""
