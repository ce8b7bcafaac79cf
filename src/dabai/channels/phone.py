"""Hotline calls: call records with an ASR transcript (JSON or plain text) and calls logged at the desk."""

import re
from datetime import datetime
from typing import Any

from django.utils import timezone

from dabai.accounts.models import User
from dabai.channels.models import CallRecord, InboundPayload
from dabai.channels.sanitise import from_iso, identifier, load_json, number, one_line, text_of
from dabai.channels.services import PayloadError, register_handler
from dabai.channels.sms import MAX_NUMBER_DIGITS, normalise_phone
from dabai.conversations.models import Message
from dabai.conversations.services import receive_message
from dabai.core.choices import Channel
from dabai.customers.services import resolve_customer

SPEAKERS = {
    "客户": "customer",
    "顾客": "customer",
    "来电": "customer",
    "customer": "customer",
    "caller": "customer",
    "坐席": "agent",
    "客服": "agent",
    "agent": "agent",
}
TURN = re.compile(r"^\s*(?:\[(?P<start>[\d:.]+)\]\s*)?(?P<speaker>[^:：\[\]]{1,12})\s*[:：]\s*(?P<text>.+)$")
HEADER = re.compile(
    r"^\s*(?P<key>call_id|caller|started_at|duration|agent|recording_url)\s*[:=]\s*(?P<v>.*)$"
)


def _seconds(value: str) -> float | None:
    total = 0.0
    for part in value.split(":"):
        try:
            total = total * 60 + float(part or 0)
        except ValueError:
            return None
    return total


def parse_text_transcript(text: str) -> dict[str, Any]:
    """Plain-text export: ``key: value`` header lines, then ``[mm:ss] 客户: …`` turns."""
    record: dict[str, Any] = {"transcript": []}
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        header = HEADER.match(line)
        if header and not record["transcript"]:
            record[header["key"]] = header["v"].strip()
            continue
        turn = TURN.match(line)
        if turn is None:
            raise PayloadError(f"line {line_number}: expected 'speaker: text'")
        speaker = SPEAKERS.get(turn["speaker"].strip().lower(), turn["speaker"].strip())
        start = _seconds(turn["start"]) if turn["start"] else None
        record["transcript"].append({"speaker": speaker, "text": turn["text"].strip(), "start": start})
    return record


def parse_call(raw: bytes, content_type: str) -> dict[str, Any]:
    text = raw.decode("utf-8-sig", errors="replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        record = load_json(text)
        if not isinstance(record, dict):
            raise PayloadError("expected one call record object")
        return record
    return parse_text_transcript(text)


def transcript_body(turns: list[dict[str, Any]]) -> str:
    """What the customer said, for the filter and the thread; the full turns stay on the call record."""
    said = [t.get("text", "") for t in turns if t.get("speaker") == "customer"]
    return "\n".join(s for s in said if s)


def clean_turns(value: Any) -> list[dict[str, Any]]:
    """The transcript as {speaker, text, start} turns: numbers become text, a bare string a turn of its own.

    PayloadError only when it is not a transcript at all (neither a list nor absent).
    """
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise PayloadError("transcript must be a list of {speaker, text}")
    turns = []
    for turn in value:
        if isinstance(turn, dict):
            speaker = text_of(turn.get("speaker")) or ""
            turns.append(
                {
                    "speaker": SPEAKERS.get(speaker.strip().lower(), speaker.strip())[:30],
                    "text": text_of(turn.get("text")) or "",
                    "start": number(turn.get("start"), high=24 * 3600),
                }
            )
        elif (words := text_of(turn)) is not None:
            turns.append({"speaker": "", "text": words, "start": None})
    return turns


@register_handler(Channel.PHONE, "call")
def handle_call(payload: InboundPayload) -> Message:
    record = parse_call(bytes(payload.raw), payload.meta.get("content_type", ""))
    return store_call(record, payload_id=payload.pk)


def store_call(
    record: dict[str, Any], *, payload_id: int | None = None, agent: User | None = None
) -> Message:
    """Store one call as an inbound hotline message with its call record (once per call id).

    Without a caller or a call id it is not a call (PayloadError); a bad duration, start time or agent is
    dropped and the call stored anyway.
    """
    caller = normalise_phone(identifier(record.get("caller") or "", "caller", required=False))
    call_id = identifier(record.get("call_id") or "", "call_id", required=False, max_length=100)
    if not caller or not call_id:
        raise PayloadError("a call needs call_id and caller")
    if len(caller) > MAX_NUMBER_DIGITS:
        raise PayloadError("the caller is not a phone number")
    turns = clean_turns(record.get("transcript"))
    started_at = from_iso(record.get("started_at")) or timezone.now()
    duration = int(number(record.get("duration")) or 0)
    agent_name = text_of(record.get("agent"))
    if agent is None and agent_name:
        agent = User.objects.filter(username=agent_name[:150]).first()
    customer = resolve_customer(Channel.PHONE, caller, handle=caller)
    body = transcript_body(turns) or text_of(record.get("summary")) or "[来电]"
    received = receive_message(
        channel=Channel.PHONE,
        customer=customer,
        body=body,
        external_id=f"call:{call_id}",
        raw_payload={"payload_id": payload_id, "call_id": call_id},
        sent_at=started_at,
    )
    if received.created:
        CallRecord.objects.create(
            message=received.message,
            call_id=call_id,
            caller=caller,
            duration_seconds=duration,
            agent=agent,
            recording_url=_url(record.get("recording_url")),
            transcript=turns,
            started_at=started_at,
        )
    return received.message


def _url(value: Any) -> str:
    url = one_line(value) if isinstance(value, str) else ""
    return url if url.startswith(("http://", "https://")) and len(url) <= 500 else ""


def desk_call_record(
    agent: User, caller: str, summary: str, duration_seconds: int, started_at: datetime
) -> dict[str, Any]:
    """A call the agent took and noted at the desk, in the same shape the call centre sends."""
    return {
        "call_id": f"desk-{agent.pk}-{int(started_at.timestamp() * 1000)}",
        "caller": caller,
        "duration": duration_seconds,
        "started_at": started_at.isoformat(),
        "agent": agent.username,
        "summary": summary,
        "transcript": [{"speaker": "customer", "text": summary, "start": 0}] if summary else [],
    }
