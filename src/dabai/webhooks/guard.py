"""The SSRF guard: a webhook URL must be http(s) and every address its host resolves to must be public,
unless the centre's webhook settings allow private addresses (tests, a receiver on the same network)."""

import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeUrl(ValueError):
    """A URL we will not send to, and why."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> set[str]:
    """The addresses a host name resolves to (a seam: tests answer without asking any name server)."""
    return {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}


def check_url(url: str, *, allow_private: bool) -> str:
    """Raise UnsafeUrl unless ``url`` is http(s) with a host that resolves only to allowed addresses.

    Returns the address to connect to: the sender pins it, so a name that answers a public address to this
    check and a private one a moment later (DNS rebinding) never gets a second lookup.
    """
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrl(f"not a URL: {exc}") from None
    if parts.scheme not in {"http", "https"}:
        raise UnsafeUrl("only http and https URLs")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("credentials in the URL are not allowed; use the signature")
    try:
        addresses = resolve(parts.hostname, port)
    except (OSError, UnicodeError, ValueError) as exc:
        raise UnsafeUrl(f"the host does not resolve: {exc}") from None
    if not addresses:
        raise UnsafeUrl("the host does not resolve")
    if not allow_private:
        private = sorted(a for a in addresses if not _public(a))
        if private:
            raise UnsafeUrl(f"the host resolves to a non-public address ({', '.join(private)})")
    return sorted(addresses)[0]


def pinned(url: str, address: str) -> tuple[str, dict[str, str], dict]:
    """``url`` rewritten to connect to ``address``, with the ``Host`` header and the TLS server name (SNI and
    certificate check) still the original host's: (url, headers, httpx request extensions)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"Host": parts.netloc}, extensions
