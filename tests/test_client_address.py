"""The client address behind zero, one or several proxies (foundation/client_address.py)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from foundation.client_address import client_address, throttle_key


def request_from(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_tcp_peer_is_the_client(settings):
    settings.ANCHORBOARD_TRUSTED_PROXIES = []
    # A client cannot choose its own address by sending the header.
    assert client_address(request_from("198.51.100.4", "10.0.0.1")) == "198.51.100.4"


def test_a_trusted_proxy_is_believed_about_the_client(settings):
    settings.ANCHORBOARD_TRUSTED_PROXIES = ["10.0.0.5"]
    request = request_from("10.0.0.5", "203.0.113.9")
    assert client_address(request) == "203.0.113.9"


def test_entries_the_client_wrote_itself_are_ignored(settings):
    settings.ANCHORBOARD_TRUSTED_PROXIES = ["10.0.0.0/24"]
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real peer.
    request = request_from("10.0.0.5", "1.2.3.4, 203.0.113.9")
    assert client_address(request) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings):
    settings.ANCHORBOARD_TRUSTED_PROXIES = ["10.0.0.0/24", "10.1.0.0/16"]
    request = request_from("10.0.0.5", "spoofed, 203.0.113.9, 10.1.2.3")
    assert client_address(request) == "203.0.113.9"


def test_an_untrusted_peer_sending_the_header_is_not_believed(settings):
    settings.ANCHORBOARD_TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_address(request_from("198.51.100.4", "203.0.113.9")) == "198.51.100.4"


def test_garbage_in_the_header_falls_back_to_the_nearest_good_hop(settings):
    settings.ANCHORBOARD_TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_address(request_from("10.0.0.5", "not-an-ip")) == "10.0.0.5"
    assert client_address(request_from("", None)) == "unknown"


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.4", "198.51.100.4"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.4", "198.51.100.4"),
        ("unknown", "unknown"),
    ],
)
def test_throttle_keys(address, key):
    assert throttle_key(address) == key
