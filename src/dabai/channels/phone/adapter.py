"""The phone adapter: call records with an ASR transcript (JSON or plain text) from the call centre, and calls
logged at the desk; replies to callers go out by SMS."""

import json
import re
from datetime import datetime
from typing import Any

from django.utils import timezone

from dabai.accounts.models import User
from dabai.channels.adapter import Adapter, DeliveryResult, Parsed, PayloadError
from dabai.channels.drain import drain_now
from dabai.channels.models import CallRecord, InboundPayload
from dabai.channels.sanitise import (
    MAX_NUMBER_DIGITS,
    from_iso,
    identifier,
    load_json,
    normalise_phone,
    number,
    one_line,
    text_of,
)
from dabai.channels.services import store_payload
from dabai.channels.texting import send_text_reply
from dabai.conversations.models import Message
from dabai.core.choices import Channel
from dabai.customers.services import Handle

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


def read_call(record: dict[str, Any]) -> dict[str, Any]:
    """The fields of one call, or PayloadError without a caller or a call id (then it is not a call); a bad
    duration, start time or agent is dropped and the call kept anyway."""
    caller = normalise_phone(identifier(record.get("caller") or "", "caller", required=False))
    call_id = identifier(record.get("call_id") or "", "call_id", required=False, max_length=100)
    if not caller or not call_id:
        raise PayloadError("a call needs call_id and caller")
    if len(caller) > MAX_NUMBER_DIGITS:
        raise PayloadError("the caller is not a phone number")
    turns = clean_turns(record.get("transcript"))
    return {
        "caller": caller,
        "call_id": call_id,
        "turns": turns,
        "started_at": from_iso(record.get("started_at")) or timezone.now(),
        "duration": int(number(record.get("duration")) or 0),
        "agent": text_of(record.get("agent")),
        "body": transcript_body(turns) or text_of(record.get("summary")) or "[来电]",
        "recording_url": _url(record.get("recording_url")),
    }


def call_message(call: dict[str, Any], payload: InboundPayload, agent: User | None) -> Parsed:
    """One call as an inbound hotline message (once per call id), its call record kept beside it."""

    def keep(message: Message) -> list[CallRecord]:
        return [
            CallRecord(
                message=message,
                call_id=call["call_id"],
                caller=call["caller"],
                duration_seconds=call["duration"],
                agent=agent,
                recording_url=call["recording_url"],
                transcript=call["turns"],
                started_at=call["started_at"],
            )
        ]

    return Parsed(
        channel=Channel.PHONE,
        handle=Handle(Channel.PHONE, call["caller"], handle=call["caller"]),
        body=call["body"],
        external_id=f"call:{call['call_id']}",
        raw_payload={"payload_id": payload.pk, "call_id": call["call_id"]},
        sent_at=call["started_at"],
        keep=keep,
    )


def _url(value: Any) -> str:
    url = one_line(value) if isinstance(value, str) else ""
    return url if url.startswith(("http://", "https://")) and len(url) <= 500 else ""


def desk_record(raw: bytes) -> dict[str, Any]:
    """A call the agent noted at the desk (``log_call``), in the fields a call centre's record has."""
    form = load_json(raw)
    if not isinstance(form, dict):
        raise PayloadError("expected the desk's call form")
    summary = text_of(form.get("summary")) or ""
    return {
        "call_id": form.get("call_id"),
        "caller": form.get("caller"),
        "duration": form.get("duration_seconds"),
        "started_at": form.get("started_at"),
        "summary": summary,
        "transcript": [{"speaker": "customer", "text": summary, "start": 0}] if summary else [],
    }


def log_call(
    agent: User, caller: str, summary: str, duration_seconds: int, started_at: datetime
) -> Message | None:
    """An agent notes a call they took: stored raw as the desk's form, then drained at once (the agent is
    taken to the conversation). PayloadError when it is not a call (no usable number)."""
    form = {
        "call_id": f"desk-{agent.pk}-{int(started_at.timestamp() * 1000)}",
        "caller": caller,
        "summary": summary,
        "duration_seconds": duration_seconds,
        "started_at": started_at.isoformat(),
    }
    payload = store_payload(Channel.PHONE, "desk", json.dumps(form).encode(), {"agent_id": agent.pk})
    return drain_now(payload)


class PhoneAdapter(Adapter):
    channel = Channel.PHONE
    sources = ("call", "desk")

    def check(self, raw: bytes, meta: dict[str, Any]) -> None:
        read_call(parse_call(raw, meta.get("content_type", "")))

    def parse(self, payload: InboundPayload) -> list[Parsed]:
        raw = bytes(payload.raw)
        if payload.source == "desk":
            call = read_call(desk_record(raw))
            agent = User.objects.filter(pk=payload.meta.get("agent_id")).first()
        else:
            call = read_call(parse_call(raw, payload.meta.get("content_type", "")))
            agent = User.objects.filter(username=call["agent"][:150]).first() if call["agent"] else None
        return [call_message(call, payload, agent)]

    def send(self, message: Message) -> DeliveryResult:
        """Callers are answered by SMS to the number they called from."""
        return send_text_reply(message)


adapter = PhoneAdapter()
