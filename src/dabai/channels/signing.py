"""The HMAC signature every signed webhook and the SMS gateway use: hex SHA-256 over ``timestamp.body``.

One module for every channel's door (email relay, SMS gateway, call centre, Weibo bridge) and for what the
SMS gateway expects from us. WeChat signs with its own protocol (``dabai.channels.wechat.protocol``).
"""

import hashlib
import hmac
import time

MAX_CLOCK_SKEW_SECONDS = 300
MAX_TIMESTAMP_DIGITS = 20


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 over ``timestamp.body``: what the sender puts in X-Signature."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, timestamp: str, signature: str, body: bytes) -> bool:
    """A fresh timestamp (within the allowed skew) and the right signature over this exact body."""
    if not secret or not timestamp or not signature:
        return False
    if len(timestamp) > MAX_TIMESTAMP_DIGITS:
        return False
    try:
        if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            return False
    except (ValueError, OverflowError):
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
