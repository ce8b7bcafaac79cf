"""Where a browser request comes from: our own site, or a website allowed to embed us (WebSockets and CORS).

Browsers send ``Origin`` on WebSocket handshakes and cross-site requests; a page on another site cannot forge
it. Desk sockets accept only our own origin; the chat widget's socket and session endpoint also accept the
websites listed in ``DABAI_WIDGET_ORIGINS``.
"""

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def _origin(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a browser origin, or None for ``null``, junk or anything not http(s)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def origin_matches(origin: str, patterns: Iterable[str]) -> bool:
    """``https://shop.example.cn`` matches exactly (scheme, host, port); ``https://.example.cn`` also matches
    its subdomains; a bare host (``shop.example.cn``) matches that host over any scheme and port."""
    parsed = _origin(origin)
    if parsed is None:
        return False
    scheme, host, port = parsed
    for pattern in patterns:
        pattern = pattern.strip().lower().rstrip("/")
        if not pattern or pattern == "*":
            continue  # "everyone" is never a valid answer for a socket that carries a customer's chat
        try:
            wanted = urlsplit(pattern if "://" in pattern else "//" + pattern)
            wanted_port = wanted.port
        except ValueError:
            continue
        if not wanted.hostname or not is_same_domain(host, wanted.hostname):
            continue
        if not wanted.scheme:
            return True
        if wanted.scheme == scheme and (wanted_port or DEFAULT_PORTS.get(wanted.scheme)) == port:
            return True
    return False


def is_own_origin(origin: str, host: str) -> bool:
    """The page that opened the request was served by us: same host and port as the request itself (the
    scheme is left out because TLS usually ends at a proxy), and that host is one we serve; or the origin is
    one of ``CSRF_TRUSTED_ORIGINS`` (a proxy that rewrites the host)."""
    parsed = _origin(origin)
    if parsed is None:
        return False
    if origin_matches(origin, [o for o in settings.CSRF_TRUSTED_ORIGINS if "*" not in o]):
        return True
    scheme, origin_host, origin_port = parsed
    request_host, request_port = split_domain_port(host.lower())
    if not request_host or not validate_host(request_host, allowed_hosts()):
        return False
    try:
        request_port_number = int(request_port) if request_port else DEFAULT_PORTS[scheme]
    except ValueError:
        return False
    return origin_host.strip("[]") == request_host.strip("[]") and origin_port == request_port_number


def allowed_hosts() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts
