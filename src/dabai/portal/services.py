"""Portal state changes: sending and checking one-time sign-in codes, and opening a new request.

The portal never says whether an address is known (the answer to "send me a code" is always the same), codes
are stored as keyed hashes, expire after ten minutes, allow five tries, and an address gets at most five
codes an hour.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import Role, User
from dabai.accounts.services import record_audit
from dabai.conversations.models import Conversation, Status
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity, Customer
from dabai.filter import mask
from dabai.portal.models import SignInCode

logger = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 5
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


def _deliver(kind: str, address: str, code: str) -> None:
    text = _("Your Dabai sign-in code is %(code)s. It expires in 10 minutes; never share it.") % {
        "code": code
    }
    if kind == SignInCode.Kind.EMAIL:
        send_mail(_("Your sign-in code"), text, None, [address])
        return
    from dabai.channels import conf
    from dabai.channels.sms import send_sms

    if not conf.sms_gateway()["url"]:
        logger.warning("no SMS gateway configured: sign-in code for %s not sent", mask(address))
        return
    send_sms(address, text)


def request_code(raw_address: str) -> bool:
    """Send a sign-in code if the address belongs to a customer; returns False only for malformed input."""
    parsed = normalise_address(raw_address)
    if parsed is None:
        return False
    kind, address = parsed
    customer = find_customer(kind, address)
    if customer is None:
        logger.info("portal code requested for an unknown %s", kind)
        return True
    recent = SignInCode.objects.filter(address=address, created_at__gte=timezone.now() - timedelta(hours=1))
    if recent.count() >= MAX_CODES_PER_HOUR:
        logger.warning("portal code limit reached for %s", mask(address))
        return True
    code = f"{secrets.randbelow(1_000_000):06d}"
    SignInCode.objects.create(
        kind=kind,
        address=address,
        customer=customer,
        code_hash=_hash(code, address),
        expires_at=timezone.now() + CODE_LIFETIME,
    )
    transaction.on_commit(lambda: _deliver(kind, address, code))
    return True


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
        .filter(address=address, used_at__isnull=True, expires_at__gt=timezone.now())
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


def open_request(customer: Customer, *, subject: str, body: str) -> Conversation:
    """A new request from the portal is a new conversation, even if another one is still open.

    Without an open one, ``receive_message`` opens it (so SLA clocks start as for any new conversation).
    """
    with transaction.atomic():
        active = Conversation.objects.filter(
            customer=customer, channel=PORTAL_CHANNEL, status__in=[Status.OPEN, Status.PENDING]
        ).exists()
        conversation = None
        if active:
            conversation = Conversation.objects.create(
                customer=customer,
                channel=PORTAL_CHANNEL,
                subject=subject[:255],
                last_message_at=timezone.now(),
            )
        received = receive_message(
            channel=PORTAL_CHANNEL, customer=customer, body=body, subject=subject, conversation=conversation
        )
    return received.message.conversation
