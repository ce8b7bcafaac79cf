"""Where public posts come from: a pluggable ``Source`` reader per kind, each yielding posts or problems.

A reader never raises for one bad item: it yields a ``Problem`` for it and goes on, so a malformed feed
entry or Weibo item is reported and skipped while the rest is read. Only an unreadable whole (a URL that
does not answer, a file that is not JSON) is one problem for the run.
"""

import calendar
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import feedparser
import httpx
from django.utils import timezone

from dabai.channels.weibo.adapter import parse_weibo_time

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 10.0
MAX_TEXT = 5000


@dataclass(frozen=True)
class Post:
    """One public post as every source hands it over (Weibo status, news item, forum thread)."""

    key: str
    origin: str
    text: str
    published_at: datetime
    url: str = ""
    author_id: str = ""
    author_name: str = ""
    author_followers: int = 0
    author_verified: bool = False
    author_description: str = ""
    reposts: int = 0
    comments: int = 0
    likes: int = 0
    mentions: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Problem:
    """An item (or the whole source) that could not be read, and why; shown on the source's report."""

    where: str
    why: str


class Reader(Protocol):
    def read(self, data: bytes) -> Iterator[Post | Problem]: ...


class SourceUnreadable(RuntimeError):
    """The source as a whole could not be fetched or parsed."""


def fetch(location: str, *, max_bytes: int | None = None, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The bytes at an http(s) URL (timeout, size limit) or in a local file the admin configured."""
    max_bytes = max_bytes or MAX_BYTES
    if location.startswith(("http://", "https://")):
        try:
            with httpx.stream("GET", location, timeout=timeout, follow_redirects=True) as response:
                response.raise_for_status()
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise SourceUnreadable(f"larger than {max_bytes} bytes")
                return bytes(body)
        except httpx.HTTPError as exc:
            raise SourceUnreadable(f"{type(exc).__name__}: {exc}") from exc
    path = Path(location.removeprefix("file://"))
    try:
        if path.stat().st_size > max_bytes:
            raise SourceUnreadable(f"larger than {max_bytes} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise SourceUnreadable(f"{type(exc).__name__}: {exc}") from exc


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def _clean(value: Any, limit: int) -> str:
    return value.replace("\x00", "").strip()[:limit] if isinstance(value, str) else ""


def _mentions(text: str) -> tuple[str, ...]:
    """The @names in a Weibo text (a name ends at whitespace, punctuation or another @)."""
    names = []
    for part in text.split("@")[1:]:
        name = ""
        for char in part:
            if char.isspace() or char in "@:：,，。!！?？、;；()（）[]【】":
                break
            name += char
        if name:
            names.append(name)
    return tuple(names)


def weibo_post(item: Any) -> Post:
    """One status in the Weibo API shape (statuses/public_timeline, search, an export); ValueError if not."""
    if not isinstance(item, dict):
        raise ValueError("each Weibo item must be an object")
    post_id = item.get("idstr") or item.get("id")
    if not isinstance(post_id, str | int) or isinstance(post_id, bool) or not str(post_id).strip():
        raise ValueError("a Weibo item needs its id")
    text = _clean(item.get("text"), MAX_TEXT)
    if not text:
        raise ValueError(f"Weibo item {post_id} has no text")
    user = item.get("user") if isinstance(item.get("user"), dict) else {}
    uid = user.get("idstr") or user.get("id") or ""
    return Post(
        key=f"weibo:{post_id}",
        origin="weibo",
        text=text,
        published_at=parse_weibo_time(item.get("created_at")),
        url=f"https://weibo.com/{uid}/{item.get('mid') or post_id}" if uid else "",
        author_id=str(uid)[:100],
        author_name=_clean(user.get("screen_name"), 100),
        author_followers=_count(user.get("followers_count")),
        author_verified=user.get("verified") is True,
        author_description=_clean(user.get("description"), 300),
        reposts=_count(item.get("reposts_count")),
        comments=_count(item.get("comments_count")),
        likes=_count(item.get("attitudes_count")),
        mentions=_mentions(text),
    )


class WeiboReader:
    """Weibo statuses: an API page (``{"statuses": [...]}``), an export (a list) or a single status."""

    def read(self, data: bytes) -> Iterator[Post | Problem]:
        try:
            loaded = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceUnreadable(f"not JSON: {exc}") from exc
        if isinstance(loaded, dict) and isinstance(loaded.get("statuses"), list):
            items = loaded["statuses"]
        elif isinstance(loaded, list):
            items = loaded
        elif isinstance(loaded, dict) and "id" in loaded:
            items = [loaded]
        else:
            raise SourceUnreadable('expected Weibo statuses (a list or {"statuses": [...]})')
        for number, item in enumerate(items, start=1):
            try:
                yield weibo_post(item)
            except ValueError as exc:
                yield Problem(f"item {number}", str(exc))


def _entry_time(entry: Any) -> datetime:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    return timezone.now()


class FeedReader:
    """RSS or Atom (news sites, forums) read with feedparser; an entry without link or text is skipped."""

    def read(self, data: bytes) -> Iterator[Post | Problem]:
        feed = feedparser.parse(data)
        if feed.bozo and not feed.entries:
            raise SourceUnreadable(f"not a feed: {feed.get('bozo_exception')}")
        for number, entry in enumerate(feed.entries, start=1):
            ident = entry.get("id") or entry.get("link")
            title = _clean(entry.get("title"), 500)
            summary = _clean(entry.get("summary"), MAX_TEXT)
            if not ident:
                yield Problem(f"entry {number}", "no id or link")
                continue
            text = "\n".join(part for part in (title, _strip_tags(summary)) if part)
            if not text:
                yield Problem(f"entry {number}", "no title or text")
                continue
            link = entry.get("link") or ""
            yield Post(
                key=f"feed:{str(ident)[:180]}",
                origin="feed",
                text=text[:MAX_TEXT],
                published_at=_entry_time(entry),
                url=link if link.startswith(("http://", "https://")) else "",
                author_name=_clean(entry.get("author"), 100),
            )


def _strip_tags(html: str) -> str:
    """Feed summaries are HTML; the text is what people read (entities are already decoded by feedparser)."""
    out, inside = [], False
    for char in html:
        if char == "<":
            inside = True
        elif char == ">":
            inside = False
        elif not inside:
            out.append(char)
    return " ".join("".join(out).split())


READERS: dict[str, Reader] = {"weibo": WeiboReader(), "feed": FeedReader()}
