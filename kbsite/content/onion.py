"""v3 onion addresses, checked as Tor checks them (rend-spec-v3, "Encoding onion addresses").

An address is base32(PUBKEY | CHECKSUM | VERSION) + ".onion": a 32-byte ed25519
key, two checksum bytes and the version byte 3, so 56 characters. A mistyped or
made-up address fails the checksum; kbsite refuses it rather than send readers to
whatever answers at it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

VERSION = 3
HOST_RE = re.compile(r"^[a-z2-7]{56}\.onion$")


def checksum(pubkey: bytes, version: int = VERSION) -> bytes:
    return hashlib.sha3_256(b".onion checksum" + pubkey + bytes([version])).digest()[:2]


def address(pubkey: bytes) -> str:
    """The v3 host name for a 32-byte ed25519 public key."""
    raw = pubkey + checksum(pubkey) + bytes([VERSION])
    return base64.b32encode(raw).decode().lower() + ".onion"


def host_problem(host: str) -> str | None:
    """Why `host` is not a valid v3 onion host name, or None if it is one."""
    if host != host.lower():
        return "is not in lower case"
    if not HOST_RE.match(host):
        label = host.removesuffix(".onion")
        return f"is not 56 base32 characters (a-z, 2-7) before .onion (it has {len(label)})"
    raw = base64.b32decode(host[:56].upper())
    pubkey, check, version = raw[:32], raw[32:34], raw[34]
    if version != VERSION:
        return f"has version {version}, not 3"
    if check != checksum(pubkey):
        return "fails the v3 address checksum (mistyped or made up)"
    return None


def url_problem(url: str) -> str | None:
    """Why `url` is not `http(s)://<v3 address>.onion[/path]`, or None if it is."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return "is not a valid address"
    if parts.scheme not in ("http", "https"):
        return "does not start with http:// or https://"
    if "@" in parts.netloc:
        return "holds a user name or password"
    host = parts.netloc.split(":", 1)[0]  # as written: .hostname would lower-case it
    if not host.lower().endswith(".onion"):
        return "is not a .onion address"
    return host_problem(host)
