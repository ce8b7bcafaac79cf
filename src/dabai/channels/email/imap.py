"""IMAP polling: every new message of the mailbox is stored raw (and marked read only then) for the drain."""

import imaplib
from typing import Any

from django.utils import timezone

from dabai.channels.adapter import PayloadError
from dabai.channels.drain import accept_payload
from dabai.channels.email.parse import parse_email
from dabai.channels.models import MailboxState
from dabai.channels.services import store_rejected
from dabai.core.choices import Channel


def store_fetched(raw: bytes, meta: dict[str, Any]) -> None:
    """The poller's door: a mail without a sender is kept as rejected (nobody to answer), the rest drained."""
    try:
        parse_email(raw)
    except PayloadError as exc:
        store_rejected(Channel.EMAIL, "imap", raw, str(exc))
        return
    accept_payload(Channel.EMAIL, "imap", raw, meta)


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
            store_fetched(raw, {"mailbox": name, "uid": uid})
            imap.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
            state.last_uid = uid
            state.polled_at = timezone.now()
            state.save()
            count += 1
        state.polled_at = timezone.now()
        state.save()
    return count
