"""Who is on the other end of a request: the client address used for throttling and audit.

By default the answer is ``REMOTE_ADDR``, the peer of the TCP connection: a client cannot
fake it. Behind a reverse proxy that peer is the proxy, so every visitor would share one
address (and one throttle). ``ANCHORBOARD_TRUSTED_PROXIES`` lists the proxies' addresses
or networks; only when the peer is one of them is ``X-Forwarded-For`` read, from the right
(the entry the nearest proxy appended) leftwards, skipping further trusted proxies. The
first entry that is not a trusted proxy is the client. Entries left of it were written by
the client itself and are never believed.

IPv6 clients are keyed by their /64 network (``throttle_key``): one home or one server
usually owns a whole /64, so counting single IPv6 addresses would give an attacker 2^64
fresh addresses.

This module only reads the request; it must not decide what an address may do.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.http import HttpRequest

from foundation import config, knobs

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``ANCHORBOARD_TRUSTED_PROXIES`` entries as networks; ValueError names a bad one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"{entry!r} is not an IP address or network (use e.g. 10.0.0.5 or 10.0.0.0/24)"
            ) from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return parse_networks(entries)


def trusted_proxies() -> tuple[IPNetwork, ...]:
    return _trusted(tuple(config.read(knobs.TRUSTED_PROXIES)))


def _parse(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def _is_trusted(address: IPAddress, proxies: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in proxies)


def client_address(request: HttpRequest) -> str:
    """The client's IP address as text, or ``"unknown"`` when the server was not told."""
    peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if peer is None:
        return UNKNOWN
    proxies = trusted_proxies()
    if not proxies or not _is_trusted(peer, proxies):
        return str(peer)
    client = peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed([part for part in forwarded.split(",") if part.strip()]):
        hop = _parse(entry)
        if hop is None:
            break  # garbage can only come from the client side: keep the last good hop
        client = hop
        if not _is_trusted(hop, proxies):
            break
    return str(client)


def throttle_key(address: str) -> str:
    """The unit an address is counted in: the address for IPv4, its /64 for IPv6."""
    parsed = _parse(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed) if parsed is not None else UNKNOWN
