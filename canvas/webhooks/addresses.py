"""Which URLs an endpoint may have and which addresses a delivery may connect to (SSRF).

A webhook URL is typed by a team admin, and the server then makes requests to it from
inside the deployment's network, so it must not become a way to reach the metadata
service, the database or anything else only the server can reach:

- the URL is ``https://`` with a host name or public address, no user:password part;
- at every attempt the host is resolved and *every* address it resolves to must be public
  (``is_global``); the request then goes to the address that was checked (the name is kept
  for ``Host`` and TLS), so a name that changes its answer between check and connect
  (DNS rebinding) reaches nothing new;
- with ``ANCHORBOARD_WEBHOOK_ALLOW_PRIVATE_URLS`` (tests, local development) private and
  loopback addresses are allowed, and plain ``http://`` to loopback addresses only;
- link-local addresses (169.254.0.0/16, fe80::/10: where cloud metadata services answer),
  the known metadata addresses, multicast, reserved and unspecified addresses are refused
  always, whatever the setting.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from foundation import config, knobs
from foundation.errors import AppError

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Metadata services that do not sit in link-local space (AWS over IPv6, Alibaba Cloud).
METADATA = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}


class RefusedURL(AppError):
    status = 400
    code = "webhook_url_refused"


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect and what to call it."""

    scheme: str
    host: str  # the name (or address) in the URL, for Host and TLS
    port: int
    path: str  # path and query, at least "/"


def private_allowed() -> bool:
    return bool(config.read(knobs.WEBHOOK_ALLOW_PRIVATE_URLS))


def _host_label(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def check_url(url: str, *, allow_private: bool | None = None) -> Target:
    """The URL's parts if an endpoint may have it; RefusedURL (400) saying why if not.

    Names are only resolved when delivering (``check_address`` on each answer), so saving
    an endpoint never waits for DNS.
    """
    allow = private_allowed() if allow_private is None else allow_private
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise RefusedURL(f"Give the endpoint's URL (at most {MAX_URL_LENGTH} characters).")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedURL("That is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise RefusedURL("The URL must start with https:// and name a host.")
    if scheme == "http" and not allow:
        raise RefusedURL("Webhook URLs must use https://.")
    if parts.username is not None or parts.password is not None:
        raise RefusedURL("Leave the user name and password out of the URL.")
    if parts.fragment:
        raise RefusedURL("A webhook URL has no #fragment.")
    host = parts.hostname.lower()
    literal = _literal(host)
    if literal is not None:
        check_address(literal, scheme=scheme, allow_private=allow)
    elif host == "localhost" or host.endswith(".localhost"):
        if not allow:
            raise RefusedURL("Webhook URLs cannot point at this server (localhost).")
    elif scheme == "http":
        raise RefusedURL("Plain http:// is only allowed to a loopback address (127.0.0.1, ::1).")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_address(address: IPAddress, *, scheme: str, allow_private: bool) -> IPAddress:
    """``address`` if a delivery may connect to it, else RefusedURL saying why."""
    ip = address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if (
        ip in METADATA
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or (ip.is_reserved and not ip.is_loopback)
    ):
        raise RefusedURL(f"Webhooks cannot be sent to {ip} (a link-local or reserved address).")
    if ip.is_global:
        if scheme != "https":
            raise RefusedURL("Webhook URLs must use https://.")
        return address
    if not allow_private:
        raise RefusedURL(
            f"Webhooks cannot be sent to {ip}: it is a private or loopback address, reachable "
            "only from inside this server's network."
        )
    if scheme == "http" and not ip.is_loopback:
        raise RefusedURL("Plain http:// is only allowed to a loopback address (127.0.0.1, ::1).")
    return address


def pick_address(target: Target, answers: list[str], *, allow_private: bool) -> IPAddress:
    """The address to connect to: every answer must pass (one bad answer refuses all,
    so a name cannot mix a public and a private address and hope for the second)."""
    if not answers:
        raise RefusedURL(f"{target.host} does not resolve to any address.")
    checked = [
        check_address(ipaddress.ip_address(a.split("%", 1)[0]), scheme=target.scheme,
                      allow_private=allow_private)
        for a in answers
    ]  # fmt: skip
    # IPv4 first: "localhost" and dual-stack names often list ::1 / AAAA first while
    # receivers listen on IPv4 only.
    return sorted(checked, key=lambda ip: ip.version)[0]


def pinned_url(target: Target, address: IPAddress) -> str:
    """The URL with the checked address in place of the name."""
    return f"{target.scheme}://{_host_label(str(address))}:{target.port}{target.path}"


def host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    label = _host_label(target.host)
    return label if target.port == default else f"{label}:{target.port}"
