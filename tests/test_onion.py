"""kbsite.content.onion: v3 onion addresses as rend-spec-v3 defines them."""

from __future__ import annotations

import base64
import hashlib

import pytest

from kbsite.content import onion

KEY = hashlib.sha256(b"kbsite test key").digest()  # any 32 bytes: the checksum does not check the curve


def spec_address(pubkey: bytes) -> str:
    """The address written out from the spec, independently of the module."""
    check = hashlib.sha3_256(b".onion checksum" + pubkey + b"\x03").digest()[:2]
    return base64.b32encode(pubkey + check + b"\x03").decode().lower() + ".onion"


def test_address_from_a_key_follows_the_spec():
    host = onion.address(KEY)
    assert host == spec_address(KEY) and len(host) == 56 + len(".onion")
    assert onion.host_problem(host) is None
    assert onion.url_problem(f"http://{host}/") is None
    assert onion.url_problem(f"https://{host}/some/path?q=1") is None
    assert onion.url_problem(f"http://{host}:8080") is None


def test_a_published_address_is_valid():
    # The Tor Project's own onion site, as listed on torproject.org.
    tpo = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
    assert onion.host_problem(tpo) is None


def flip(host: str, at: int) -> str:
    return host[:at] + ("a" if host[at] != "a" else "b") + host[at + 1 :]


@pytest.mark.parametrize(
    "url, problem",
    [
        ("http://example.onion/", "not 56 base32 characters"),
        ("http://.onion/", "not 56 base32 characters"),
        ("HTTP://ABC.ONION", "not in lower case"),
        (f"http://{onion.address(KEY).upper()}", "not in lower case"),
        (f"http://{flip(onion.address(KEY), 3)}/", "checksum"),  # one mistyped letter of the key
        (f"http://{flip(onion.address(KEY), 53)}/", "checksum"),  # ... or of the checksum
        (f"http://{onion.address(KEY)[:55]}1.onion/", "not 56 base32"),  # 1 is not base32
        (f"http://{onion.address(KEY)[1:]}", "not 56 base32"),  # 55 characters
        (f"ftp://{onion.address(KEY)}/", "http:// or https://"),
        (f"http://user@{onion.address(KEY)}/", "user name"),
        (f"http://www.{onion.address(KEY)}/", "not 56 base32"),
        ("http://duckduckgo.com/", "not a .onion address"),
        ("http://[::1/", "not a valid address"),
    ],
)
def test_broken_addresses(url, problem):
    found = onion.url_problem(url)
    assert found is not None and problem in found, found


def test_other_versions_are_refused():
    raw = KEY + onion.checksum(KEY, 2) + b"\x02"  # a valid checksum, but version 2
    host = base64.b32encode(raw).decode().lower() + ".onion"
    assert onion.host_problem(host) == "has version 2, not 3"
