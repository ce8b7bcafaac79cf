"""Weibo: mentions, comments and private messages pushed by a bridge, polled, or uploaded as an export."""

from dabai.channels.weibo.adapter import (
    HttpWeiboApi,
    WeiboAdapter,
    WeiboApi,
    accept_export,
    adapter,
    api,
    check_push,
    poll,
    read_item,
    split_export,
)

__all__ = [
    "HttpWeiboApi",
    "WeiboAdapter",
    "WeiboApi",
    "accept_export",
    "adapter",
    "api",
    "check_push",
    "poll",
    "read_item",
    "split_export",
]
