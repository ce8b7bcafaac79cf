"""WeChat Official Account callbacks: signatures, safe-mode encryption, freshness and the XML messages."""

import base64
import hashlib
import hmac
import os
import re
import struct
import time
from xml.etree import ElementTree

from Crypto.Cipher import AES

from dabai.channels import conf
from dabai.channels.adapter import PayloadError
from dabai.channels.services import claim_nonce
from dabai.core.choices import Channel

BLOCK = 32


def signature(*parts: str) -> str:
    """WeChat's SHA-1 over the lexically sorted parts (token, timestamp, nonce[, encrypt])."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _key(aes_key: str) -> bytes:
    key = base64.b64decode(aes_key + "=")
    if len(key) != 32:
        raise PayloadError("EncodingAESKey must decode to 32 bytes")
    return key


def encrypt(plain: str, aes_key: str, app_id: str, *, random16: bytes | None = None) -> str:
    """Safe-mode envelope: random(16) + length(4, network order) + message + appid, PKCS#7 to 32, AES-CBC."""
    key = _key(aes_key)
    data = plain.encode()
    body = (random16 or os.urandom(16)) + struct.pack(">I", len(data)) + data + app_id.encode()
    pad = BLOCK - len(body) % BLOCK
    body += bytes([pad]) * pad
    return base64.b64encode(AES.new(key, AES.MODE_CBC, key[:16]).encrypt(body)).decode()


def decrypt(encrypted: str, aes_key: str, app_id: str) -> str:
    key = _key(aes_key)
    try:
        body = AES.new(key, AES.MODE_CBC, key[:16]).decrypt(base64.b64decode(encrypted))
        pad = body[-1]
        if not 1 <= pad <= BLOCK:
            raise ValueError("bad padding")
        body = body[:-pad]
        length = struct.unpack(">I", body[16:20])[0]
        xml, from_app = body[20 : 20 + length], body[20 + length :]
    except (ValueError, struct.error, IndexError) as exc:
        raise PayloadError(f"cannot decrypt safe-mode payload: {exc}") from exc
    if from_app.decode(errors="replace") != app_id:
        raise PayloadError("safe-mode payload for another AppID")
    try:
        return xml.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError("the decrypted payload is not UTF-8") from exc


class SignatureError(PayloadError):
    """Not from WeChat, or not now: a bad or missing signature, a stale timestamp, a replayed nonce (403)."""


XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
# Chinese senders declare GBK or GB2312 and mean the superset.
ENCODING_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}


def xml_text(xml: str | bytes) -> str:
    """The document as text, decoded as its declaration says (GBK is legitimate); the declaration dropped."""
    if isinstance(xml, bytes):
        declared = DECLARED_ENCODING.match(xml)
        name = declared[1].decode().lower() if declared else "utf-8-sig"
        try:
            xml = xml.decode(ENCODING_SUPERSETS.get(name, name))
        except LookupError as exc:
            raise PayloadError(f"unknown XML encoding {name!r}") from exc
        except UnicodeDecodeError as exc:
            raise PayloadError(f"the XML is not valid {name}") from exc
    return XML_DECLARATION.sub("", xml, count=1)


def parse_xml(xml: str | bytes) -> dict[str, str]:
    text = xml_text(xml)
    if "<!doctype" in text.lower():
        raise PayloadError("DTDs are not accepted")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise PayloadError(f"malformed XML: {exc}") from exc
    return {child.tag: (child.text or "") for child in root}


def open_callback(raw: bytes, query: dict[str, str]) -> dict[str, str]:
    """Verify and unwrap one POSTed callback; SignatureError if it is not genuine, PayloadError if malformed.

    With an EncodingAESKey configured only safe mode is accepted: the ``msg_signature`` covers the encrypted
    body, so a captured URL cannot carry another message. Plaintext mode signs only token, timestamp and
    nonce; the caller must also check the timestamp's age and the nonce's reuse (``check_fresh``).
    """
    settings_ = conf.wechat()
    fields = parse_xml(raw)
    safe = query.get("encrypt_type") == "aes" or "Encrypt" in fields
    if settings_["aes_key"] and not (safe and "Encrypt" in fields):
        raise SignatureError("plaintext callbacks are refused: safe mode is configured")
    if safe:
        if not query.get("msg_signature"):
            raise SignatureError("safe mode needs a msg_signature")
        expected = signature(
            settings_["token"], query.get("timestamp", ""), query.get("nonce", ""), fields.get("Encrypt", "")
        )
        if not hmac.compare_digest(expected, query.get("msg_signature", "")):
            raise SignatureError("bad msg_signature")
        return parse_xml(decrypt(fields.get("Encrypt", ""), settings_["aes_key"], settings_["app_id"]))
    expected = signature(settings_["token"], query.get("timestamp", ""), query.get("nonce", ""))
    if not settings_["token"] or not hmac.compare_digest(expected, query.get("signature", "")):
        raise SignatureError("bad signature")
    return fields


def check_fresh(query: dict[str, str], raw: bytes) -> None:
    """Refuse a timestamp outside the allowed skew and a (timestamp, nonce) pair seen with another body."""
    try:
        timestamp = int(query.get("timestamp", "")[:20])
        stale = abs(time.time() - timestamp) > conf.wechat_max_age_seconds()
    except (ValueError, OverflowError) as exc:
        raise SignatureError("bad timestamp") from exc
    if stale:
        raise SignatureError("stale timestamp")
    nonce = query.get("nonce", "")
    if not nonce or len(nonce) > 64:
        raise SignatureError("bad nonce")
    if not claim_nonce(Channel.WECHAT, timestamp, nonce, raw):
        raise SignatureError("replayed nonce")


def stored_query(query: dict[str, str]) -> dict[str, str]:
    """What the payload keeps of the callback URL: no signatures (they are checked, and they are secrets)."""
    return {k: v for k, v in query.items() if k not in {"signature", "msg_signature"}}


def unwrap(raw: bytes) -> dict[str, str]:
    """The fields of a stored callback (verified at the door before it was stored), decrypted if need be."""
    fields = parse_xml(raw)
    if "Encrypt" in fields:
        settings_ = conf.wechat()
        fields = parse_xml(decrypt(fields["Encrypt"], settings_["aes_key"], settings_["app_id"]))
    return fields


def message_text(fields: dict[str, str]) -> str:
    """What the customer said, for every message type the filter can read."""
    kind = fields.get("MsgType", "")
    if kind == "text":
        return fields.get("Content", "")
    if kind == "voice":
        return fields.get("Recognition", "") or "[语音]"
    if kind == "image":
        return f"[图片] {fields.get('PicUrl', '')}".strip()
    if kind == "location":
        return f"[位置] {fields.get('Label', '')} ({fields.get('Location_X')}, {fields.get('Location_Y')})"
    if kind in {"video", "shortvideo"}:
        return "[视频]"
    if kind == "link":
        return f"[链接] {fields.get('Title', '')} {fields.get('Url', '')}".strip()
    raise PayloadError(f"unsupported MsgType {kind!r}")


FIELDS = {
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Event",
    "PicUrl",
    "MediaId",
    "Format",
    "Recognition",
    "Label",
    "Location_X",
    "Location_Y",
    "Title",
    "Url",
}
