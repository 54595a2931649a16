"""Who may scrape `/metrics` without a token: the addresses of STATUSPAGE_METRICS_ALLOW."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str | Iterable[str] | None) -> list[Network]:
    """Addresses and networks from a comma- or space-separated string or a list; ValueError
    names the first entry that is neither, so a typo stops the app instead of opening it."""
    if value is None:
        return []
    entries = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError as error:
            raise ValueError(f"{entry!r} is not an IP address or network") from error
    return networks


def address_allowed(address: str | None, networks: Iterable[Network]) -> bool:
    """True when *address* (the peer's, as the WSGI server saw it) is in one of *networks*."""
    if not address:
        return False
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped
    return any(peer in network for network in networks)
