"""Web chat: visitors known by a signed token, frames over a WebSocket, replies live or by email."""

from dabai.channels.chat.adapter import ChatAdapter, adapter
from dabai.channels.chat.visitors import (
    COOKIE_SALT,
    check_origin,
    claim_new_session,
    history,
    identify_visitor,
    push_live_reply,
    receive_chat_message,
    sign_visitor,
    start_visitor,
    visitor_from_token,
)

__all__ = [
    "COOKIE_SALT",
    "ChatAdapter",
    "adapter",
    "check_origin",
    "claim_new_session",
    "history",
    "identify_visitor",
    "push_live_reply",
    "receive_chat_message",
    "sign_visitor",
    "start_visitor",
    "visitor_from_token",
]
