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
from dabai.customers.services import Handle, resolve_customers


def find_thread(parsed: ParsedEmail, customer: Customer) -> Conversation | None:
    """Message-ID chain first (In-Reply-To, then References), else the customer's open thread by subject."""
    return find_threads([(parsed, customer)])[0]


SUBJECT_CANDIDATES = 20  # a customer's newest open email threads compared by subject


def find_threads(emails: list[tuple[ParsedEmail, Customer]]) -> list[Conversation | None]:
    """``find_thread`` for a batch of emails in two queries, whatever its size: the conversations of every
    Message-ID the batch refers to, and the open email threads of every sender without one."""
    refs = {ref for parsed, _ in emails for ref in [parsed.in_reply_to, *parsed.references] if ref}
    by_ref: dict[str, Conversation] = {}
    if refs:
        headers = EmailHeader.objects.select_related("message__conversation").filter(rfc_message_id__in=refs)
        by_ref = {header.rfc_message_id: header.message.conversation for header in headers}
    threads: list[Conversation | None] = []
    by_subject: list[int] = []  # positions still looking for a thread by subject
    for parsed, _ in emails:
        refs_in_order = [parsed.in_reply_to, *reversed(parsed.references)]
        thread = next((by_ref[ref] for ref in refs_in_order if ref and ref in by_ref), None)
        if thread is None and normalise_subject(parsed.subject):
            by_subject.append(len(threads))
        threads.append(thread)
    if by_subject:
        open_threads = _open_threads({emails[i][1].pk for i in by_subject})
        for i in by_subject:
            parsed, customer = emails[i]
            subject = normalise_subject(parsed.subject)
            candidates = open_threads.get(customer.pk, [])[:SUBJECT_CANDIDATES]
            threads[i] = next((c for c in candidates if normalise_subject(c.subject) == subject), None)
    return threads


def _open_threads(customer_ids: set[int]) -> dict[int, list[Conversation]]:
    """Each customer's open or pending email conversations, newest first."""
    threads: dict[int, list[Conversation]] = {}
    candidates = Conversation.objects.filter(
        customer_id__in=customer_ids, channel=Channel.EMAIL, status__in=[Status.OPEN, Status.PENDING]
    ).order_by("-last_message_at")
    for conversation in candidates:
        threads.setdefault(conversation.customer_id, []).append(conversation)
    return threads


def keep_headers_and_attachments(parsed: ParsedEmail) -> Any:
    """What is kept beside a new email message: its threading headers (returned, inserted with the batch's)
    and its attachments (each file written and its row saved here)."""

    def keep(message: Message) -> list[EmailHeader]:
        for name, content_type, data in parsed.attachments:
            attachment = Attachment(
                message=message, filename=name[:255], content_type=content_type, size=len(data)
            )
            attachment.file.save(name, ContentFile(data), save=True)
        return [
            EmailHeader(
                message=message,
                rfc_message_id=parsed.message_id,
                in_reply_to=parsed.in_reply_to,
                references=" ".join(parsed.references),
                subject=parsed.subject[:255],
                from_address=parsed.from_address,
                to_address=parsed.to_address,
            )
        ]

    return keep


class EmailAdapter(Adapter):
    channel = Channel.EMAIL
    sources = ("webhook", "imap")

    def check(self, raw: bytes, meta: dict[str, Any]) -> None:
        parse_email(raw)

    def parse(self, payload: InboundPayload) -> list[Parsed]:
        """One message in the right thread; its headers and attachments are kept once it is stored."""
        return self.parse_batch([payload])[0]

    def parse_batch(self, payloads: list[InboundPayload]) -> list[list[Parsed]]:
        """Every email of a drained batch: senders resolved together, threads found together."""
        emails = [parse_email(bytes(payload.raw)) for payload in payloads]
        senders = [
            Handle(Channel.EMAIL, parsed.from_address, parsed.from_name, parsed.from_address)
            for parsed in emails
        ]
        customers = resolve_customers(senders)
        found = [(parsed, customers[sender]) for parsed, sender in zip(emails, senders, strict=True)]
        threads = find_threads(found)
        return [
            [_parsed(payload, parsed, customer, thread)]
            for payload, (parsed, customer), thread in zip(payloads, found, threads, strict=True)
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


def _parsed(
    payload: InboundPayload, parsed: ParsedEmail, customer: Customer, thread: Conversation | None
) -> Parsed:
    """One email as a message in its thread (a new conversation without one); a mail answering another
    of the same batch, not stored yet, names it (``refers``) and waits for the next batch."""
    subject = normalise_subject(parsed.subject)
    subject_key = f"subject:{customer.pk}:{subject}" if subject else ""
    names = {parsed.message_id, *([subject_key] if subject_key and thread is None else [])}
    refers = {parsed.in_reply_to, *parsed.references, subject_key} - {""} if thread is None else set()
    return Parsed(
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


adapter = EmailAdapter()
