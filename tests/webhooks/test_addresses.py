"""Where webhooks may go (canvas.webhooks.addresses): https to public addresses; private,
loopback and plain http only with the development knob; link-local and metadata never."""

from __future__ import annotations

import ipaddress

import pytest

from canvas.webhooks.addresses import RefusedURL, check_address, check_url, pick_address


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # plain http to the internet
        "ftp://hooks.example.com/x",
        "https://user:pw@hooks.example.com/x",
        "https://localhost/x",
        "https://app.localhost/x",
        "https://127.0.0.1/x",
        "https://10.0.0.5/x",
        "https://192.168.1.10/x",
        "https://[::1]/x",
        "https://[fd12::1]/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/x",
        "https://[::ffff:169.254.169.254]/x",
        "https://[::ffff:10.0.0.1]/x",
        "https://100.100.100.200/x",
        "https://0.0.0.0/x",
        "https://224.0.0.1/x",
        "https://hooks.example.com/x#frag",
        "not a url",
        "",
    ],
)
def test_refused_without_the_knob(url):
    with pytest.raises(RefusedURL):
        check_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/anchorboard?x=1", "https://93.184.215.14:8443/h"]
)
def test_public_https_is_accepted(url):
    target = check_url(url, allow_private=False)
    assert target.scheme == "https"


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/h", "http://localhost:9/h", "http://[::1]:9/h", "https://10.1.2.3/h"],
)
def test_the_knob_allows_loopback_http_and_private_https(url):
    check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/h",  # http beyond loopback, even with the knob
        "http://hooks.example.com/h",
        "https://169.254.169.254/",  # metadata: never
        "https://[fd00:ec2::254]/",
        "https://100.100.100.200/",
    ],
)
def test_the_knob_never_allows(url):
    with pytest.raises(RefusedURL):
        check_url(url, allow_private=True)


def test_a_name_is_refused_if_any_of_its_addresses_is_private():
    target = check_url("https://rebind.example.com/h", allow_private=False)
    with pytest.raises(RefusedURL, match=r"10\.0\.0\.7"):
        pick_address(target, ["93.184.215.14", "10.0.0.7"], allow_private=False)
    assert str(pick_address(target, ["93.184.215.14"], allow_private=False)) == "93.184.215.14"


def test_http_to_a_name_resolving_to_a_private_non_loopback_address_is_refused():
    with pytest.raises(RefusedURL, match="loopback"):
        check_address(ipaddress.ip_address("192.168.0.2"), scheme="http", allow_private=True)
