"""The shipped nginx server block and torrc, run for real: nginx on loopback, tor --verify-config."""

from __future__ import annotations

import gzip
import html.parser
import re
import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from hosting_build import ROOT

from kbsite.dev.nginx import free_port, start
from kbsite.outputs import deploy
from kbsite.safety.policy import CSP, HEADERS

DEPLOY = ROOT / "deploy"
TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".pdf": "application/pdf",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".html": "text/html",
}


def test_shipped_files_are_generated_from_the_policy():
    assert (DEPLOY / "nginx-kbsite.conf").read_text(encoding="utf-8") == deploy.nginx_conf()
    assert (DEPLOY / "torrc").read_text(encoding="utf-8") == deploy.torrc()
    conf = (DEPLOY / "nginx-kbsite.conf").read_text(encoding="utf-8")
    assert f'add_header Content-Security-Policy "{CSP}" always;' in conf
    assert "frame-ancestors 'none'" in CSP


def test_only_loopback_or_a_socket_is_accepted():
    with pytest.raises(ValueError):
        deploy.nginx_conf(listen="0.0.0.0:80")
    listens = re.findall(r"^\s*listen\s+(\S+);", (DEPLOY / "nginx-kbsite.conf").read_text(), re.M)
    assert listens == ["unix:/run/kbsite/nginx.sock"]


class Nginx:
    """nginx in the foreground with a temporary main config around a server block."""

    def __init__(self, work: Path, server_block: str, socket_path: Path | None = None):
        self.port = free_port()
        work.mkdir(parents=True, exist_ok=True)
        listen = f"unix:{socket_path}" if socket_path else f"127.0.0.1:{self.port}"
        server_block = server_block.replace("listen unix:/run/kbsite/nginx.sock;", f"listen {listen};")
        assert f"listen {listen};" in server_block
        self.proc = start(work, server_block, str(socket_path) if socket_path else ("127.0.0.1", self.port))

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def served(canary_build, tmp_path_factory):
    """The built site, plus one file of each type to probe, served at / by the shipped config."""
    work = tmp_path_factory.mktemp("nginx")
    root = work / "www"
    shutil.copytree(canary_build.site, root)
    for suffix in (".pdf", ".svg", ".woff2"):
        (root / "assets" / f"probe{suffix}").write_bytes(b"probe")
    shipped = (DEPLOY / "nginx-kbsite.conf").read_text(encoding="utf-8")
    server = Nginx(work / "run", shipped.replace("root /srv/kbsite/current;", f"root {root};"))
    yield server, root
    server.stop()


def _assert_headers(headers: Message, where: str) -> None:
    for name, value in HEADERS.items():
        assert headers.get(name) == value, (where, name)
    assert headers.get("Server") == "nginx", where  # server_tokens off: no version


def test_every_file_answers_200_with_all_headers_and_its_type(served):
    server, root = served
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert len(files) > 30  # the canary site: pages, assets, search index, handbook
    for name in files:
        status, headers, body = server.get("/" + name)
        assert status == 200, name
        _assert_headers(headers, name)
        assert body == (root / name).read_bytes()
        suffix = Path(name).suffix
        if suffix in TYPES:
            assert headers["Content-Type"].split(";")[0] == TYPES[suffix], name
    assert server.get("/")[0] == 200


def test_text_is_sent_compressed_to_a_browser_that_asks(served):
    """Over a slow circuit the search parts and pages are the bytes a reader waits for."""
    server, root = served
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.stat().st_size >= 1024)
    text = [p for p in files if p.suffix in (".html", ".js", ".css", ".json", ".svg", ".xml", ".txt")]
    assert any(p.parent.name == "search" for p in text)
    saved = 0
    for path in text:
        name = "/" + path.relative_to(root).as_posix()
        status, headers, body = server.get(name, {"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Encoding"] == "gzip", name
        assert headers["Vary"] == "Accept-Encoding", name
        _assert_headers(headers, name)
        assert gzip.decompress(body) == path.read_bytes(), name
        saved += path.stat().st_size - len(body)
    assert saved > sum(p.stat().st_size for p in text) / 2  # text shrinks to well under half
    for path in (p for p in files if p.suffix in (".pdf", ".woff2", ".png", ".gz", ".zim")):
        name = "/" + path.relative_to(root).as_posix()
        status, headers, body = server.get(name, {"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in headers and body == path.read_bytes(), name  # already compressed


def test_missing_path_gets_the_sites_own_404(served):
    server, root = served
    status, headers, body = server.get("/no/such/page.html")
    assert status == 404
    _assert_headers(headers, "404")
    assert body == (root / "404.html").read_bytes()


def test_no_directory_listing(served):
    server, root = served
    for folder in ("/assets/", "/assets/javascripts/lunr/", "/search/"):
        status, headers, body = server.get(folder)
        assert status == 404, folder
        assert b"Index of" not in body and b"lunr.de.min.js" not in body
        _assert_headers(headers, folder)


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def test_site_under_a_sub_path_has_no_broken_link(canary_build, tmp_path):
    server = Nginx(tmp_path / "run", deploy.nginx_conf(root=str(canary_build.site), mount="/kb/"))
    try:
        assert server.get("/kb")[0] == 200  # redirected to /kb/
        assert server.get("/index.html")[0] == 404  # nothing outside the mount
        base = f"http://127.0.0.1:{server.port}"
        todo, seen, broken = [f"{base}/kb/"], set(), []
        while todo:
            url = todo.pop()
            if url in seen:
                continue
            seen.add(url)
            status, headers, body = server.get(urlsplit(url).path)
            if status != 200:
                broken.append(url)
                continue
            _assert_headers(headers, url)
            if headers["Content-Type"].startswith("text/html"):
                parser = _Links()
                parser.feed(body.decode("utf-8"))
                for link in parser.links:
                    target = urljoin(url, link).split("#")[0]
                    if target.startswith(base):
                        todo.append(target)
                    else:
                        assert urlsplit(target).scheme in ("https", "http", "mailto"), (url, link)
        assert broken == []
        pages = {
            "/kb/" + p.relative_to(canary_build.site).as_posix() for p in canary_build.site.rglob("*.html")
        } - {"/kb/404.html"}
        reached = {urlsplit(u).path for u in seen} | {"/kb/index.html"}
        assert pages <= reached
        assert "/kb/network/night-street.jpg" in reached
        status, _, body = server.get("/kb/missing.html")
        assert status == 404 and body == (canary_build.site / "404.html").read_bytes()
    finally:
        server.stop()


def test_shipped_unix_socket_listener(canary_build, tmp_path):
    import http.client

    class UnixConnection(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.connect(str(sock))

    sock = tmp_path / "nginx.sock"
    shipped = (DEPLOY / "nginx-kbsite.conf").read_text(encoding="utf-8")
    server = Nginx(
        tmp_path / "run",
        shipped.replace("root /srv/kbsite/current;", f"root {canary_build.site};"),
        socket_path=sock,
    )
    try:
        assert sock.stat().st_mode & 0o777 == 0o666  # tor's access is decided by the folder
        conn = UnixConnection("kbsiteexampleonionaddress.onion")
        conn.request("GET", "/network")  # a folder without the slash: redirected, relatively
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 301 and resp.getheader("Location") == "/network/"
        conn.request("GET", "/network/")
        resp = conn.getresponse()
        assert (
            resp.status == 200 and resp.read() == (canary_build.site / "network" / "index.html").read_bytes()
        )
        _assert_headers(resp.headers, "unix socket")
    finally:
        server.stop()


def _torrc_in(tmp_path: Path, source: Path = DEPLOY / "torrc") -> Path:
    hs = tmp_path / "hs"
    hs.mkdir(mode=0o700)
    text = source.read_text(encoding="utf-8")
    text = text.replace(deploy.DEFAULT_HS_DIR, f"{hs}/").replace(
        "unix:/run/kbsite/nginx.sock", f"unix:{tmp_path}/nginx.sock"
    )
    assert str(hs) in text and str(tmp_path / "nginx.sock") in text
    torrc = tmp_path / "torrc"
    torrc.write_text(text + f"DataDirectory {tmp_path}/data\nSocksPort 0\n", encoding="utf-8")
    return torrc


def test_tor_accepts_the_shipped_torrc(tmp_path):
    torrc = _torrc_in(tmp_path)
    result = subprocess.run(["tor", "--verify-config", "-f", str(torrc)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert "Configuration was valid" in result.stdout
    # The check can fail: a port tor cannot parse is refused.
    torrc.write_text(
        torrc.read_text().replace("HiddenServicePort 80 unix:", "HiddenServicePort 80 nonsense:")
    )
    assert subprocess.run(["tor", "--verify-config", "-f", str(torrc)], capture_output=True).returncode != 0


# A valid v3 address (an ed25519 key of bytes 0..31), and the same with one letter changed.
ONION = "aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dyp3kead.onion"


def test_generated_torrc_turns_the_pow_defence_on_and_tor_accepts_it(tmp_path):
    from conftest import run_kbsite

    done = run_kbsite("deploy-config", "--torrc", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    options = subprocess.run(["tor", "--list-torrc-options"], capture_output=True, text=True).stdout.split()
    on = "HiddenServicePoWDefensesEnabled" in options  # the tor installed here decides
    assert ("\nHiddenServicePoWDefensesEnabled 1\n" in done.stdout) == on
    assert ("\n# HiddenServicePoWDefensesEnabled 1\n" in done.stdout) == (not on)
    assert "# On: tor 0.4." in done.stdout if on else "# Off: " in done.stdout
    for text in (done.stdout, deploy.torrc(pow_=(False, "not offered"))):
        (tmp_path / "generated").write_text(text, encoding="utf-8")
        torrc = _torrc_in(tmp_path, tmp_path / "generated")
        result = subprocess.run(["tor", "--verify-config", "-f", str(torrc)], capture_output=True, text=True)
        assert result.returncode == 0 and "Configuration was valid" in result.stdout, result.stdout
        shutil.rmtree(tmp_path / "hs")


def test_onion_location_on_the_clearnet_block_only(canary_build, tmp_path):
    import ssl

    from conftest import run_kbsite

    done = run_kbsite("deploy-config", "--onion-address", ONION, "--server-name", "localhost", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    onion_block, clearnet_block = done.stdout.split("\nserver {")[1:]
    assert "Onion-Location" not in onion_block.split("\n}")[0].replace("No Onion-Location here", "")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-subj", "/CN=localhost", "-days", "1", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    tls_port = free_port()
    conf = (
        done.stdout.replace("root /srv/kbsite/current;", f"root {canary_build.site};")
        .replace("listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;")
        .replace("    listen [::]:443 ssl;\n", "")
        .replace("/etc/letsencrypt/live/localhost/fullchain.pem", str(tmp_path / "cert.pem"))
        .replace("/etc/letsencrypt/live/localhost/privkey.pem", str(tmp_path / "key.pem"))
    )
    server = Nginx(tmp_path / "run", conf)
    try:
        status, headers, _ = server.get("/network/index.html?q=1")  # the onion block
        assert status == 200 and headers.get("Onion-Location") is None
        _assert_headers(headers, "onion block")
        context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        for path in ("/network/index.html?q=1", "/no/such/page.html"):
            try:
                with urllib.request.urlopen(f"https://localhost:{tls_port}{path}", context=context) as r:
                    status, headers, body = r.status, r.headers, r.read()
            except urllib.error.HTTPError as e:
                status, headers, body = e.code, e.headers, e.read()
            assert status == (200 if "network" in path else 404), path
            assert headers.get("Onion-Location") == f"http://{ONION}{path}", path
            assert headers.get("Strict-Transport-Security") == "max-age=63072000"
            _assert_headers(headers, "clearnet block")
        assert body == (canary_build.site / "404.html").read_bytes()
    finally:
        server.stop()


@pytest.mark.parametrize(
    "address, why",
    [
        (ONION.replace("aaaq", "aaqa", 1), "fails the v3 address checksum"),
        ("expyuzz4wqqyqhjn.onion", "is not 56 base32 characters (a-z, 2-7) before .onion (it has 16)"),
        (ONION.upper(), "is not in lower case"),
    ],
)
def test_an_onion_address_that_is_not_v3_is_refused(tmp_path, address, why):
    from conftest import run_kbsite

    done = run_kbsite("deploy-config", "--onion-address", address, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert f"Invalid value for '--onion-address': '{address}' {why}" in done.stderr
    assert "56 characters a-z and 2-7, then .onion" in done.stderr


@pytest.mark.parametrize(
    "args, option, why",
    [
        (
            ["--listen", "0.0.0.0:80"],
            "--listen",
            "listen on a unix socket (unix:/path) or 127.0.0.1:PORT only",
        ),
        (
            ["--onion-address", ONION, "--server-name", "bad name"],
            "--server-name",
            "'bad name' is not a host name (e.g. kb.example.org)",
        ),
    ],
)
def test_a_refused_option_is_named_once(tmp_path, args, option, why):
    from conftest import run_kbsite

    done = run_kbsite("deploy-config", *args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert f"Invalid value for '{option}': {why}\n" in done.stderr
