"""The Weibo adapter: @-mentions, comments and private messages in the Weibo API's JSON shape, pushed by a
bridge (webhook), fetched by the poller or uploaded as an export; every item is stored raw and drained.

Mentions and comments are public (``Conversation.is_public``); replies to them go out as a short public
acknowledgement plus the full answer by private message, so personal details never appear in public.
"""

import json
import logging
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any, Protocol

from django.utils import timezone

from dabai.channels import conf
from dabai.channels.adapter import Adapter, DeliveryResult, PayloadError
from dabai.channels.drain import request_drain
from dabai.channels.models import InboundPayload
from dabai.channels.sanitise import (
    cap_extras,
    clean_text,
    identifier,
    load_json,
    one_line,
    plausible,
    text_of,
)
from dabai.channels.services import store_rejected
from dabai.conversations.models import Message
from dabai.conversations.services import Inbound
from dabai.core.choices import Channel
from dabai.customers.services import Handle

logger = logging.getLogger(__name__)

# Keys of the Weibo API responses: comments/to_me, statuses/mentions, direct_messages.
KINDS = {"comments": "comment", "statuses": "mention", "direct_messages": "dm"}
PUBLIC_ACKNOWLEDGEMENT = "您好，已私信回复您，请查收私信。"
# A push of more items than this is split into one payload per item, drained in shares of each batch.
SPLIT_ABOVE = 20


ITEM_FIELDS = {"id", "idstr", "text", "created_at", "user", "sender", "sender_id", "status"}
USER_FIELDS = ("id", "idstr", "screen_name", "gender")


def parse_weibo_time(value: Any) -> datetime:
    if not isinstance(value, str) or not value:
        return timezone.now()
    try:
        return plausible(datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")) or timezone.now()
    except ValueError:
        return timezone.now()


def split_export(data: Any) -> list[tuple[str, dict]]:
    """Items of an export or API page as (kind, item); a bare list is read by each item's shape.

    PayloadError when the container is not in the Weibo API's shape (``{"comments": 5}``, a list of
    numbers); a single item with missing fields is left for ``read_item`` to refuse on its own.
    """
    if isinstance(data, dict):
        for key in KINDS:
            if data.get(key) is not None and not isinstance(data[key], list):
                raise PayloadError(f"{key} must be a list of items")
        items = [(KINDS[key], item) for key in KINDS for item in data.get(key) or []]
        if not items and "id" in data:
            items = [(_kind_of(data), data)]
        for _, item in items:
            _kind_of(item)
        return items
    if isinstance(data, list):
        return [(_kind_of(item), item) for item in data]
    raise PayloadError("expected a JSON object or list in the Weibo API shape")


def _kind_of(item: Any) -> str:
    if not isinstance(item, dict):
        raise PayloadError("each Weibo item must be an object")
    if "sender" in item or "sender_id" in item:
        return "dm"
    return "comment" if "status" in item else "mention"


def _user(value: Any) -> dict[str, Any]:
    """The author's id and name as kept on the message (text the database can store: no NUL)."""
    if not isinstance(value, dict):
        return {}
    return {
        key: clean_text(value[key]) if isinstance(value[key], str) else value[key]
        for key in USER_FIELDS
        if isinstance(value.get(key), str | int) and not isinstance(value.get(key), bool)
    }


# A Weibo profile's gender (``m``, ``f``; ``n`` unknown), as ``customers.models.Gender``.
WEIBO_GENDERS = {"m": "male", "f": "female"}


def read_item(item: Any, kind: str = "") -> dict[str, Any]:
    """One item's fields as we keep them, or PayloadError when it is not a message (no id, user or text)."""
    kind = kind or _kind_of(item)
    user = _user(item.get("sender") if kind == "dm" else item.get("user"))
    uid = identifier(user.get("idstr") or user.get("id") or item.get("sender_id") or "", "user id")
    item_id = identifier(item.get("idstr") or item.get("id") or "", "id")
    text = text_of(item.get("text"))
    if text is None:
        raise PayloadError("a Weibo item needs its text")
    status = item.get("status") if isinstance(item.get("status"), dict) else {}
    status_id = status.get("id") if isinstance(status.get("id"), str | int) else ""
    return {
        "kind": kind,
        "uid": uid,
        "id": item_id,
        "text": text,
        "screen_name": one_line(str(user.get("screen_name", "")))[:100],
        "gender": WEIBO_GENDERS.get(str(user.get("gender", ""))),
        "status_id": str(status_id)[:100],
        "created_at": parse_weibo_time(item.get("created_at")),
    }


def parse_item(payload: InboundPayload) -> Inbound:
    """One stored item (of an upload, a poller page or a split push)."""
    item = load_json(bytes(payload.raw))
    if not isinstance(item, dict):
        raise PayloadError("each Weibo item must be an object")
    return item_message(item, payload.meta.get("kind", ""), payload.pk)


def item_message(item: dict, kind: str, payload_id: int) -> Inbound:
    """One mention, comment or private message; public ones join the author's open public thread."""
    fields = read_item(item, kind)
    kept = cap_extras(item, ITEM_FIELDS)
    for key in ("user", "sender"):
        if key in kept:
            kept[key] = _user(item[key])
    return Inbound(
        channel=Channel.WEIBO,
        handle=Handle(
            Channel.WEIBO, fields["uid"], handle=fields["screen_name"], gender=fields["gender"] or ""
        ),
        body=fields["text"],
        external_id=f"{fields['kind']}:{fields['id']}",
        raw_payload={
            "payload_id": payload_id,
            **kept,
            "kind": fields["kind"],
            "status_id": fields["status_id"],
        },
        sent_at=fields["created_at"],
        is_public=fields["kind"] != "dm",
    )


def check_push(data: Any) -> tuple[list[tuple[str, dict]], list[tuple[dict, str]]]:
    """A pushed batch at the door: (items to accept, [(item, why) refused]); PayloadError if not a batch."""
    accepted, refused = [], []
    for kind, item in split_export(data):
        try:
            read_item(item, kind)
        except PayloadError as exc:
            refused.append((item, str(exc)))
        else:
            accepted.append((kind, item))
    return accepted, refused


def store_items(items: list[tuple[str, dict]], meta: dict[str, Any]) -> int:
    """Store each item as its own raw payload (a bad one never blocks the others) and ask for the drain."""
    InboundPayload.objects.bulk_create(
        [
            InboundPayload(
                channel=Channel.WEIBO,
                source="push-item",
                raw=json.dumps(item).encode(),
                meta={"kind": kind, **meta},
            )
            for kind, item in items
        ],
        batch_size=500,
    )
    if items:
        request_drain()
    return len(items)


def accept_export(data: Any, source_name: str = "export") -> dict[str, int]:
    """The door of an uploaded export or a poller page: good items stored raw for the drain, bad ones kept
    as rejected; PayloadError when it is not in the Weibo shape at all."""
    accepted, refused = check_push(data)
    for item, reason in refused:
        store_rejected(Channel.WEIBO, "item", json.dumps(item).encode(), reason)
    return {"stored": store_items(accepted, {"from": source_name}), "rejected": len(refused)}


class WeiboApi(Protocol):
    def fetch(self, kind: str, since_id: str) -> dict[str, Any]: ...

    def reply_comment(self, comment_id: str, status_id: str, text: str) -> str: ...

    def send_direct_message(self, uid: str, text: str) -> str: ...


class HttpWeiboApi:
    """The Weibo open API over HTTP (the base URL is configurable, so a local stand-in can play Weibo)."""

    PATHS = {"comment": "/2/comments/to_me.json", "mention": "/2/statuses/mentions.json"}
    DM_PATH = "/2/direct_messages.json"

    def __init__(self, api_base: str, access_token: str) -> None:
        self.base, self.token = api_base.rstrip("/"), access_token

    def _request(self, path: str, params: dict[str, str], post: bool = False) -> dict[str, Any]:
        params = {"access_token": self.token, **params}
        encoded = urllib.parse.urlencode(params)
        if post:
            request = urllib.request.Request(f"{self.base}{path}", data=encoded.encode())
        else:
            request = urllib.request.Request(f"{self.base}{path}?{encoded}")
        with urllib.request.urlopen(request, timeout=10) as response:
            result = json.loads(response.read().decode())
        if isinstance(result, dict) and result.get("error_code"):
            raise RuntimeError(f"Weibo error {result['error_code']}: {result.get('error')}")
        return result

    def fetch(self, kind: str, since_id: str) -> dict[str, Any]:
        path = self.DM_PATH if kind == "dm" else self.PATHS[kind]
        return self._request(path, {"since_id": since_id or "0"})

    def reply_comment(self, comment_id: str, status_id: str, text: str) -> str:
        result = self._request(
            "/2/comments/reply.json", {"cid": comment_id, "id": status_id, "comment": text}, True
        )
        return str(result.get("idstr") or result.get("id", ""))

    def send_direct_message(self, uid: str, text: str) -> str:
        result = self._request("/2/direct_messages/new.json", {"uid": uid, "text": text}, True)
        return str(result.get("idstr") or result.get("id", ""))


def api() -> WeiboApi:
    options = conf.weibo()
    return HttpWeiboApi(options["api_base"], options["access_token"])


def poll(client: WeiboApi, since: dict[str, str]) -> dict[str, str]:
    """One pass of the pluggable poller: each kind from its last seen id; returns the new high-water marks."""
    marks = dict(since)
    for kind in ("mention", "comment", "dm"):
        page = client.fetch(kind, since.get(kind, ""))
        accept_export(page, f"poller:{kind}")
        ids = [int(item.get("id", 0)) for _, item in split_export(page)]
        if ids:
            marks[kind] = str(max([*ids, int(since.get(kind) or 0)]))
    return marks


def send_weibo_reply(message: Message) -> DeliveryResult:
    """Private conversations get a DM; public ones a short public acknowledgement plus the DM."""
    conversation = message.conversation
    inbound = conversation.messages.filter(direction="inbound").order_by("-sent_at", "-id").first()
    if inbound is None:
        raise RuntimeError("no customer message to answer")
    raw = inbound.raw_payload
    user = raw.get("sender") if raw.get("kind") == "dm" else raw.get("user")
    uid = str((user or {}).get("idstr") or (user or {}).get("id") or raw.get("sender_id") or "")
    client = api()
    ids = []
    if conversation.is_public and raw.get("kind") != "dm":
        comment_id = str(raw.get("idstr") or raw.get("id"))
        status_id = raw.get("status_id") or comment_id
        ids.append(client.reply_comment(comment_id, status_id, PUBLIC_ACKNOWLEDGEMENT))
    ids.append(client.send_direct_message(uid, message.body))
    return DeliveryResult(",".join(i for i in ids if i))


class WeiboAdapter(Adapter):
    channel = Channel.WEIBO
    # "push": a bridge's batch as it arrived, read at once when small, else split by the drain into one
    # "push-item" each (which share every batch with other channels); "item": older uploads and polls.
    sources = ("push", "push-item", "item")

    def check(self, raw: bytes, meta: dict[str, Any]) -> None:
        accepted, refused = check_push(load_json(raw))
        if refused and not accepted:
            raise PayloadError(refused[0][1])

    def parse(self, payload: InboundPayload) -> list[Inbound]:
        if payload.source != "push":
            return [parse_item(payload)]
        accepted, _ = check_push(load_json(bytes(payload.raw)))
        if len(accepted) <= SPLIT_ABOVE:
            return [item_message(item, kind, payload.pk) for kind, item in accepted]
        store_items(accepted, {"from": "webhook", "push_id": payload.pk})
        return []

    def send(self, message: Message) -> DeliveryResult:
        return send_weibo_reply(message)


adapter = WeiboAdapter()
