"""Mail out with threading headers: agent replies by email (the email channel, and chat visitors who left).

Shared by the ``email`` and ``chat`` adapters. Each reply carries In-Reply-To/References of the thread so the
customer's client threads it, and its own Message-ID is kept so their answer finds the conversation again.
"""

import email.utils
import re

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils.translation import gettext

from dabai.channels import conf
from dabai.channels.models import EmailHeader
from dabai.channels.sanitise import one_line
from dabai.conversations.models import Message

SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)


def normalise_subject(subject: str) -> str:
    """The subject without Re:/Fwd:/回复: prefixes, so a reply finds its thread and ours reads cleanly."""
    return SUBJECT_PREFIX.sub("", subject).strip()


def send_email_reply(message: Message, to_address: str) -> str:
    """Send an agent reply over SMTP with In-Reply-To/References so the customer's client threads it."""
    conversation = message.conversation
    previous = (
        EmailHeader.objects.filter(message__conversation=conversation).order_by("-message__sent_at").first()
    )
    subject = one_line(conversation.subject or (previous.subject if previous else ""))
    subject = f"Re: {normalise_subject(subject)}" if subject else gettext("Reply to your enquiry")
    sender_domain = conf.support_address().rpartition("@")[2] or "dabai.local"
    message_id = email.utils.make_msgid(idstring=f"dabai{message.pk}", domain=sender_domain)
    headers = {"Message-ID": message_id}
    if previous is not None:
        references = [*previous.references.split(), previous.rfc_message_id]
        headers["In-Reply-To"] = previous.rfc_message_id
        headers["References"] = " ".join(dict.fromkeys(r for r in references if r))
    mail = EmailMessage(
        subject=subject,
        body=message.body,
        from_email=conf.support_address(),
        to=[to_address],
        headers=headers,
        connection=get_connection(),
    )
    mail.encoding = "utf-8"
    with transaction.atomic():
        EmailHeader.objects.update_or_create(
            message=message,
            defaults={
                "rfc_message_id": message_id,
                "in_reply_to": headers.get("In-Reply-To", ""),
                "references": headers.get("References", ""),
                "subject": subject[:255],
                "from_address": conf.support_address(),
                "to_address": to_address,
            },
        )
    mail.send()
    return message_id
