"""Reading RFC 822 mail: Chinese charsets, encoded words, HTML bodies, quoted history and signatures."""

import email
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message as MimeMessage
from email.policy import Compat32
from html.parser import HTMLParser

from django.utils import timezone

from dabai.channels.adapter import PayloadError
from dabai.channels.sanitise import base_name, clean_text, one_line, plausible

# Mail clients label GBK text as gb2312 and Big5-HKSCS as big5; decode with the superset so nothing breaks.
CHARSET_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}
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
