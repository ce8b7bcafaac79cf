"""Email: RFC 822 in from a signed relay webhook or IMAP, threaded by Message-ID; replies over SMTP."""

from dabai.channels.email.adapter import EmailAdapter, adapter, find_thread
from dabai.channels.email.imap import poll_imap
from dabai.channels.email.parse import ParsedEmail, parse_address, parse_email

__all__ = [
    "EmailAdapter",
    "ParsedEmail",
    "adapter",
    "find_thread",
    "parse_address",
    "parse_email",
    "poll_imap",
]
