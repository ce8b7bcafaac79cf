"""Email in and out: RFC 822 parsing with Chinese charsets, threading, IMAP polling and SMTP replies."""

import contextlib
import email
import email.utils
import hashlib
import imaplib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message as MimeMessage
from email.policy import Compat32
from html.parser import HTMLParser
from typing import Any

from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from dabai.channels import conf
from dabai.channels.models import Attachment, EmailHeader, InboundPayload, MailboxState
from dabai.channels.sanitise import base_name, clean_text, one_line, plausible
from dabai.channels.services import PayloadError, ingest, register_handler
from dabai.conversations.models import Conversation, Message, Status
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.customers.models import Customer
from dabai.customers.services import resolve_customer

logger = logging.getLogger(__name__)

# Mail clients label GBK text as gb2312 and Big5-HKSCS as big5; decode with the superset so nothing breaks.
CHARSET_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}
SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)
QUOTE_MARKERS = [
    re.compile(r"^On .+ wrote:\s*$"),
    re.compile(r"^在.+写道[:：]\s*$"),
    re.compile(r"^-{2,}\s*(Original Message|原始邮件|原始郵件)\s*-{2,}", re.IGNORECASE),
    re.compile(r"^(发件人|寄件者|From)\s*[:：].+"),
    re.compile(r"^_{10,}\s*$"),
]
SIGNATURE_MARKERS = [
    re.compile(r"^--\s*$"),
    re.compile(r"^(发自我的|Sent from my|从我的).{0,30}$"),
]


def charset_for(name: str | None) -> str:
    name = (name or "utf-8").strip().lower().strip('"')
    return CHARSET_SUPERSETS.get(name, name)


def decode_bytes(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(charset_for(charset), errors="replace")
    except LookupError:
        return data.decode("gb18030", errors="replace")


def decode_header_value(value: str | None) -> str:
    """Decode RFC 2047 encoded words (=?GB2312?B?…?=) into one line of text, tolerating mislabelled charsets.

    Line breaks and control characters an encoded word may hide become spaces: a header value is one line.
    """
    if not value:
        return ""
    parts = []
    for chunk, charset in decode_header(str(value)):
        parts.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return re.sub(r"\s+", " ", one_line("".join(parts))).strip()


class _EightBitHeaders(Compat32):
    """Headers sent as raw 8-bit bytes (no encoded words) are read as UTF-8, else GB18030, not as U+FFFD."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        try:
            value.encode("ascii")
        except UnicodeEncodeError:
            raw = value.encode("ascii", "surrogateescape")
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw.decode("gb18030", errors="replace")
        return value


EIGHT_BIT_HEADERS = _EightBitHeaders()
ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s]+)\s*>\s*$")
ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+$")


def parse_address(value: str | None) -> tuple[str, str]:
    """(display name, address) of a From/To header, the address read before any encoded word is decoded.

    Decoding first would let an encoded display name (``=?utf-8?q?v@evil.test=0D=0A?= <real@…>``) stand
    in for the address and choose the customer.
    """
    value = (value or "").strip()
    angle = ANGLE_ADDRESS.search(value)
    if angle:
        name, address = value[: angle.start()], angle[1]
    else:
        name, address = email.utils.parseaddr(value)
    address = address.strip()
    if not ADDRESS.match(address) or "=?" in address or len(address) > 254:
        address = ""
    return decode_header_value(name.strip().strip('"'))[:100], address.lower()


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in {"script", "style", "head"}:
            self.skip += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head"}:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parser.out).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def strip_quotes_and_signature(text: str) -> str:
    """Keep only what the customer wrote this time: no quoted history, no signature."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if stripped.startswith(">") or any(m.match(stripped) for m in QUOTE_MARKERS):
            break
        if any(m.match(stripped) for m in SIGNATURE_MARKERS):
            break
        kept.append(line.rstrip())
    body = "\n".join(kept).strip()
    return body or text.strip()


@dataclass
class ParsedEmail:
    message_id: str
    from_name: str
    from_address: str
    to_address: str
    subject: str
    in_reply_to: str
    references: list[str]
    sent_at: datetime | None
    text: str
    body: str
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


def _ids(value: str | None) -> list[str]:
    return [i for i in re.findall(r"<[^<>\s]+>", value or "") if len(i) <= 250]


def parse_email(raw: bytes) -> ParsedEmail:
    """Read one RFC 822 message; raises PayloadError when it has no sender at all."""
    try:
        mime = email.message_from_bytes(raw, policy=EIGHT_BIT_HEADERS)
        from_name, from_address = parse_address(mime.get("From"))
        if not from_address:
            raise PayloadError("email without a valid From address")
        return _read(raw, mime, from_name, from_address)
    except RecursionError as exc:
        raise PayloadError("MIME parts nested too deeply") from exc


def _read(raw: bytes, mime: MimeMessage, from_name: str, from_address: str) -> ParsedEmail:
    message_ids = _ids(mime.get("Message-ID"))
    message_id = message_ids[0] if message_ids else f"<sha256-{hashlib.sha256(raw).hexdigest()}@dabai>"
    try:
        sent_at = email.utils.parsedate_to_datetime(mime["Date"]) if mime.get("Date") else None
    except (TypeError, ValueError):
        sent_at = None
    if sent_at is not None and timezone.is_naive(sent_at):
        sent_at = sent_at.replace(tzinfo=UTC)
    plain, html, attachments = _walk(mime)
    text = clean_text(plain.strip() or html_to_text(html))
    in_reply = _ids(mime.get("In-Reply-To"))
    return ParsedEmail(
        message_id=message_id,
        from_name=from_name,
        from_address=from_address,
        to_address=parse_address(mime.get("To"))[1],
        subject=decode_header_value(mime.get("Subject")),
        in_reply_to=in_reply[0] if in_reply else "",
        references=_ids(mime.get("References")),
        sent_at=plausible(sent_at),
        text=text,
        body=strip_quotes_and_signature(text),
        attachments=attachments,
    )


def _walk(mime: MimeMessage) -> tuple[str, str, list[tuple[str, str, bytes]]]:
    plain, html, attachments = [], [], []
    for part in mime.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            name = base_name(decode_header_value(filename))
            attachments.append((name, part.get_content_type()[:100], payload))
        elif part.get_content_type() == "text/plain":
            plain.append(decode_bytes(payload, part.get_content_charset()))
        elif part.get_content_type() == "text/html":
            html.append(decode_bytes(payload, part.get_content_charset()))
    return "\n".join(plain), "\n".join(html), attachments


def normalise_subject(subject: str) -> str:
    return SUBJECT_PREFIX.sub("", subject).strip()


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


@register_handler(Channel.EMAIL, "webhook")
@register_handler(Channel.EMAIL, "imap")
def handle_email(payload: InboundPayload) -> Message:
    """Turn a raw RFC 822 payload into one stored message in the right thread, attachments kept."""
    raw = bytes(payload.raw)
    parsed = parse_email(raw)
    customer = resolve_customer(
        Channel.EMAIL, parsed.from_address, display_name=parsed.from_name, handle=parsed.from_address
    )
    thread = find_thread(parsed, customer)
    received = receive_message(
        channel=Channel.EMAIL,
        customer=customer,
        body=parsed.body or parsed.subject or "(empty)",
        external_id=parsed.message_id,
        raw_payload={"payload_id": payload.pk, "subject": parsed.subject, "text": parsed.text[:20000]},
        sent_at=parsed.sent_at,
        subject=parsed.subject,
        conversation=thread,
        open_new=thread is None,
    )
    if received.created:
        EmailHeader.objects.create(
            message=received.message,
            rfc_message_id=parsed.message_id,
            in_reply_to=parsed.in_reply_to,
            references=" ".join(parsed.references),
            subject=parsed.subject[:255],
            from_address=parsed.from_address,
            to_address=parsed.to_address,
        )
        for name, content_type, data in parsed.attachments:
            attachment = Attachment(
                message=received.message, filename=name[:255], content_type=content_type, size=len(data)
            )
            attachment.file.save(name, ContentFile(data), save=True)
    return received.message


def poll_imap(options: dict[str, Any]) -> int:
    """Fetch every message newer than the last UID seen; each is stored before it is marked read."""
    cls = imaplib.IMAP4_SSL if options["ssl"] else imaplib.IMAP4
    name = f"{options['user']}@{options['host']}/{options['mailbox']}"
    count = 0
    with cls(options["host"], options["port"]) as imap:
        imap.login(options["user"], options["password"])
        imap.select(options["mailbox"])
        uidvalidity = int(imap.response("UIDVALIDITY")[1][0] or 0)
        state, _ = MailboxState.objects.get_or_create(name=name)
        if state.uidvalidity != uidvalidity:
            state.uidvalidity, state.last_uid = uidvalidity, 0
        _, data = imap.uid("SEARCH", None, f"UID {state.last_uid + 1}:*")
        for uid in sorted(int(u) for u in (data[0] or b"").split()):
            if uid <= state.last_uid:
                continue
            _, fetched = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next(item[1] for item in fetched if isinstance(item, tuple))
            with contextlib.suppress(PayloadError):
                ingest(Channel.EMAIL, "imap", raw, {"mailbox": name, "uid": uid})
            imap.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
            state.last_uid = uid
            state.polled_at = timezone.now()
            state.save()
            count += 1
        state.polled_at = timezone.now()
        state.save()
    return count


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
