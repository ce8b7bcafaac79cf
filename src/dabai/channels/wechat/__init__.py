"""WeChat Official Account: callbacks (plaintext and safe mode, fresh and not replayed), the service API."""

from dabai.channels.wechat.adapter import WeChatAdapter, adapter, read_fields
from dabai.channels.wechat.api import access_token, send_template, send_text
from dabai.channels.wechat.protocol import (
    SignatureError,
    check_fresh,
    decrypt,
    encrypt,
    open_callback,
    parse_xml,
    signature,
    stored_query,
)

__all__ = [
    "SignatureError",
    "WeChatAdapter",
    "access_token",
    "adapter",
    "check_fresh",
    "decrypt",
    "encrypt",
    "open_callback",
    "parse_xml",
    "read_fields",
    "send_template",
    "send_text",
    "signature",
    "stored_query",
]
