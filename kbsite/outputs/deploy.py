"""Server configuration for hosting a built site as an onion service.

The nginx server block is generated from kbsite.safety.policy, so the headers it sends
can never drift from the policy the pages are built for; deploy/ holds the
output for the default paths, and a test checks it is up to date.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from ..content import onion
from ..safety.policy import HEADERS, MEDIA_TYPES

DEFAULT_ROOT = "/srv/kbsite/current"
DEFAULT_LISTEN = "unix:/run/kbsite/nginx.sock"
DEFAULT_HS_DIR = "/var/lib/tor/kbsite/"
DEFAULT_SERVER_NAME = "example.org"
POW_OPTION = "HiddenServicePoWDefensesEnabled"
# The site's text types besides text/html (which nginx always treats as text): they are
# sent with their charset, and compressed. Fonts, images and PDFs are compressed already.
TEXT_TYPES = (
    "text/css",
    "text/javascript",
    "text/plain",
    "application/json",
    "application/xml",
    "image/svg+xml",
)


def _types() -> str:
    by_type: dict[str, list[str]] = {}
    for suffix, media in sorted(MEDIA_TYPES.items()):
        by_type.setdefault(media, []).append(suffix[1:])
    return "\n".join(f"        {media:<24} {' '.join(exts)};" for media, exts in sorted(by_type.items()))


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class OptionError(ValueError):
    """A value `kbsite deploy-config` cannot use; `option` names the option it came from."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


def onion_host(value: str) -> str:
    """The v3 onion host name in `value` (a host or an http(s) URL); OptionError says why not."""
    given = value.strip()
    problem = onion.url_problem(given) if "://" in given else onion.host_problem(given)
    if problem:
        raise OptionError(
            "--onion-address",
            f"{given!r} {problem}; write the v3 address tor wrote to the service's hostname file "
            f"(cat {DEFAULT_HS_DIR}hostname): 56 characters a-z and 2-7, then .onion",
        )
    return given.split("://", 1)[-1].split("/", 1)[0]


def _body(root: str, mount: str, extra_headers: str = "") -> str:
    """What every server block serves: the site, its types and the policy's headers."""
    headers = "\n".join(f"    add_header {name} {_quote(value)} always;" for name, value in HEADERS.items())
    if mount == "/":
        site = f"""    root {root};
    error_page 403 404 =404 /404.html;

    location / {{
    }}"""
    else:
        site = f"""    location = {mount.rstrip("/")} {{
        return 301 {mount};
    }}

    location ^~ {mount} {{
        alias {root.rstrip("/")}/;
        error_page 403 404 =404 {mount}404.html;
    }}"""
    return f"""    server_tokens off;    # "Server: nginx", without the version
    autoindex off;        # no directory listings (folders without index.html answer 404)
    access_log off;       # keep no record of readers
    log_not_found off;
    absolute_redirect off;  # "Location: /kb/", never the internal address or port
    index index.html;

    # The site's types, complete: nothing is left for the browser to guess (nosniff).
    types {{
{_types()}
    }}
    default_type application/octet-stream;
    charset utf-8;
    charset_types {" ".join(TEXT_TYPES)};

    # Text is compressed on the way out: over a slow onion circuit, pages and the search
    # index's parts arrive in a third of the time. The files are static, hold no secret and
    # echo no input, so compression attacks on HTTPS (BREACH) have nothing to find.
    gzip on;
    gzip_comp_level 6;
    gzip_min_length 1024;
    gzip_vary on;
    gzip_types {" ".join(TEXT_TYPES)};

    # Same policy as the pages (kbsite/policy.py); "always" covers the 404 page too.
{headers}
{extra_headers}
{site}"""


def nginx_conf(
    root: str = DEFAULT_ROOT,
    listen: str = DEFAULT_LISTEN,
    mount: str = "/",
    onion_address: str = "",
    server_name: str = DEFAULT_SERVER_NAME,
) -> str:
    """nginx `server` blocks (for the http context) serving the site in `root`.

    `mount` is the URL path the site lives under: "/" for an onion service,
    or a sub-path such as "/kb/" beside other content. With `onion_address`, a second
    block serves the same site as a clearnet mirror over HTTPS at `server_name`, sending
    `Onion-Location` so Tor Browser offers the onion address; the onion block never sends it.
    """
    if not (listen.startswith("unix:") or listen.startswith("127.0.0.1:")):
        raise OptionError("--listen", "listen on a unix socket (unix:/path) or 127.0.0.1:PORT only")
    mount = "/" + mount.strip("/") + "/" if mount.strip("/") else "/"
    host = onion_host(onion_address) if onion_address else ""
    if host and not re.fullmatch(r"[A-Za-z0-9.-]+", server_name):
        raise OptionError("--server-name", f"{server_name!r} is not a host name (e.g. kb.example.org)")
    text = f"""# nginx server block for a kbsite site served as a Tor onion service.
# Generated by `kbsite deploy-config` from kbsite/policy.py: regenerate it rather than
# editing the headers by hand, so they stay the policy the pages were built for.
# Install: /etc/nginx/sites-available/kbsite, linked from /etc/nginx/sites-enabled/.

server {{
    # Only tor connects here: a unix socket (or 127.0.0.1), never a public address.
    listen {listen};
    server_name _;
    # No Onion-Location here: readers on the onion address are already there.

{_body(root, mount)}
}}
"""
    if not host:
        return text
    cert = f"/etc/letsencrypt/live/{server_name}"
    # Tor Browser reads Onion-Location only from an HTTPS page; $request_uri keeps the path.
    location = f'    add_header Onion-Location "http://{host}$request_uri" always;\n'
    return (
        text
        + f"""
# The clearnet mirror: the same site on the public web, over HTTPS only. Its Onion-Location
# header makes Tor Browser offer "{host}" (the onion block above never sends it).
server {{
    listen 443 ssl;
    listen [::]:443 ssl;
    server_name {server_name};
    ssl_certificate {cert}/fullchain.pem;
    ssl_certificate_key {cert}/privkey.pem;
    add_header Strict-Transport-Security "max-age=63072000" always;

{_body(root, mount, location)}
}}
"""
    )


def pow_support() -> tuple[bool, str]:
    """Whether the tor installed here offers the proof-of-work defence, and why we think so."""
    program = shutil.which("tor")
    if not program:
        return False, "tor is not installed on the machine that wrote this file, so it could not be checked"
    try:
        version = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30).stdout
        options = subprocess.run(
            [program, "--list-torrc-options"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"running tor failed ({exc})"
    found = re.search(r"Tor version (\S+?)\.?$", version, re.M)
    named = f"tor {found.group(1)}" if found else "the installed tor"
    if POW_OPTION in options.split():
        return True, f"{named} offers it (`tor --list-torrc-options` lists {POW_OPTION})"
    return False, f"{named} does not offer it (0.4.8 or newer, built with its PoW module, does)"


def torrc(
    listen: str = DEFAULT_LISTEN, hs_dir: str = DEFAULT_HS_DIR, pow_: tuple[bool, str] | None = None
) -> str:
    """The torrc lines; `pow_` is pow_support()'s answer (the shipped file assumes tor >= 0.4.8)."""
    on, why = pow_ or (
        True,
        "for tor 0.4.8 or newer; `kbsite deploy-config --torrc` checks the installed tor",
    )
    pow_line = f"{POW_OPTION} 1" if on else f"# {POW_OPTION} 1"
    return f"""## Tor onion service for a kbsite site. Append to /etc/tor/torrc, then
##   systemctl reload tor
## and read the address with: cat {hs_dir.rstrip("/")}/hostname

# tor keeps the service's private key here: back it up (it IS the address), never publish it.
HiddenServiceDir {hs_dir}
# Port 80 of the onion address goes to nginx's socket (see deploy/nginx-kbsite.conf).
# Debian's AppArmor profile for tor must be allowed to use the socket: see
# deploy/apparmor-local-system_tor.
HiddenServicePort 80 {listen}
# Onion services are version 3 (the only version tor 0.4.9 offers).
HiddenServiceVersion 3
# Proof-of-work defence: under a flood of connection requests, tor asks clients for a small
# puzzle and serves those who solved one first, so a flood cannot starve real readers
# (Tor Browser solves it by itself).
# {"On" if on else "Off"}: {why}.
{pow_line}
"""
