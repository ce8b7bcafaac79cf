"""The email adapter: RFC 822 from the mail relay's webhook or the IMAP poller, replies over SMTP.

Emails are drained in batches like every channel; a mail that answers another of the same batch (by
Message-ID, or by subject from the same customer) waits for the next batch, where it finds that thread.
"""

from typing import Any

from django.core.files.base import ContentFile
from django.db.models import Q

from dabai.channels.adapter import Adapter, DeliveryResult, Parsed, customer_address
from dabai.channels.email.parse import ParsedEmail, parse_email
from dabai.channels.mail import normalise_subject, send_email_reply
from dabai.channels.models import Attachment, EmailHeader, InboundPayload
from dabai.conversations.models import Conversation, Direction, Message, Status
from dabai.core.choices import Channel
from dabai.customers.models import Customer
from dabai.customers.services import resolve_customer


def find_thread(parsed: ParsedEmail, customer: Customer) -> Conversation | None:
    """Message-ID chain first (In-Reply-To, then References), else the customer's open thread by subject."""
    for ref in [parsed.in_reply_to, *reversed(parsed.references)]:
        if not ref:
            continue
        header = (
            EmailHeader.objects.select_related("message__conversation").filter(rfc_message_id=ref).first()
        )
        if header is not None:
            return header.message.conversation
    subject = normalise_subject(parsed.subject)
    if not subject:
        return None
    candidates = Conversation.objects.filter(
        customer=customer, channel=Channel.EMAIL, status__in=[Status.OPEN, Status.PENDING]
    ).order_by("-last_message_at")
    for conversation in candidates[:20]:
        if normalise_subject(conversation.subject) == subject:
            return conversation
    return None


def keep_headers_and_attachments(parsed: ParsedEmail) -> Any:
    """What is kept beside a new email message: its threading headers and its attachments."""

    def keep(message: Message) -> None:
        EmailHeader.objects.create(
            message=message,
            rfc_message_id=parsed.message_id,
            in_reply_to=parsed.in_reply_to,
            references=" ".join(parsed.references),
            subject=parsed.subject[:255],
            from_address=parsed.from_address,
            to_address=parsed.to_address,
        )
        for name, content_type, data in parsed.attachments:
            attachment = Attachment(
                message=message, filename=name[:255], content_type=content_type, size=len(data)
            )
            attachment.file.save(name, ContentFile(data), save=True)

    return keep


class EmailAdapter(Adapter):
    channel = Channel.EMAIL
    sources = ("webhook", "imap")

    def check(self, raw: bytes, meta: dict[str, Any]) -> None:
        parse_email(raw)

    def parse(self, payload: InboundPayload) -> list[Parsed]:
        """One message in the right thread; its headers and attachments are kept once it is stored."""
        parsed = parse_email(bytes(payload.raw))
        customer = resolve_customer(
            Channel.EMAIL, parsed.from_address, display_name=parsed.from_name, handle=parsed.from_address
        )
        thread = find_thread(parsed, customer)
        subject = normalise_subject(parsed.subject)
        subject_key = f"subject:{customer.pk}:{subject}" if subject else ""
        names = {parsed.message_id, *([subject_key] if subject_key and thread is None else [])}
        refers = {parsed.in_reply_to, *parsed.references, subject_key} - {""} if thread is None else set()
        return [
            Parsed(
                channel=Channel.EMAIL,
                customer=customer,
                body=parsed.body or parsed.subject or "(empty)",
                external_id=parsed.message_id,
                raw_payload={
                    "payload_id": payload.pk,
                    "subject": parsed.subject,
                    "text": parsed.text[:20000],
                },
                sent_at=parsed.sent_at,
                subject=parsed.subject,
                conversation=thread,
                open_new=thread is None,
                keep=keep_headers_and_attachments(parsed),
                names=frozenset(names),
                refers=frozenset(refers),
            )
        ]

    def send(self, message: Message) -> DeliveryResult:
        """To the address the customer last wrote from in this conversation, else their known address."""
        header = (
            EmailHeader.objects.filter(
                Q(message__conversation=message.conversation) & Q(message__direction=Direction.INBOUND)
            )
            .order_by("-message__sent_at")
            .first()
        )
        address = header.from_address if header else customer_address(message, Channel.EMAIL)
        return DeliveryResult(send_email_reply(message, address))


adapter = EmailAdapter()
