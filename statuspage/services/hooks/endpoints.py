"""Which URLs the page may POST to: http(s) only, and no private addresses (an SSRF guard)."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from flask import current_app

from statuspage.limits import MAX_URL
from statuspage.services.errors import InvalidInput

#: What an endpoint looks like: http(s), a host name or an IPv4 address, an optional port
#: (1 to 65535), then printable ASCII without spaces; the management API's schema says the same.
ENDPOINT_PATTERN = (
    r"^https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
    r"(?:[/?#][!-~]*)?$"
)
ENDPOINT = re.compile(ENDPOINT_PATTERN)


class UnsafeEndpoint(InvalidInput):
    """A URL that would make the page reach into its own network."""


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses *host* names: itself when it is one, else what the resolver says."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise UnsafeEndpoint(f"The host “{host}” could not be resolved.", field="url") from error
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return not address.is_global or address.is_multicast


def check_endpoint(url: str, *, field: str = "url") -> str:
    """The URL, cleaned, when the page may POST to it; InvalidInput saying why not otherwise.

    Checked when it is saved and again before each POST (a name may resolve elsewhere later)."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput("Enter the URL to POST to.", field=field)
    if len(url) > MAX_URL:
        raise InvalidInput(f"The URL is longer than {MAX_URL} characters.", field=field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidInput("This is not a valid URL.", field=field) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("The URL must start with http:// or https://.", field=field)
    if parts.username or parts.password:
        raise InvalidInput("The URL must not carry a user name or password.", field=field)
    if port == 0:
        raise InvalidInput("This is not a valid URL.", field=field)
    if not ENDPOINT.fullmatch(url):
        raise InvalidInput(
            "Use a plain URL: a host name or IPv4 address, an optional port, and a path "
            "without spaces or non-ASCII characters (percent-encode them).",
            field=field,
        )
    if not current_app.config["WEBHOOKS_ALLOW_PRIVATE"]:
        try:
            addresses = _addresses(parts.hostname)
        except UnsafeEndpoint as error:
            error.field = field
            raise
        if not addresses or any(_private(address) for address in addresses):
            raise UnsafeEndpoint(
                "The URL points to a private, loopback or link-local address, which this page "
                "does not call.",
                field=field,
            )
    return url
