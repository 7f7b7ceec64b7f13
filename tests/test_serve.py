"""`kbsite serve`: 127.0.0.1 only, production headers, and live reload that obeys the page policy."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from conftest import kbsite_option
from hosting_build import MINI, ROOT

from kbsite.safety.policy import HEADERS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, Message, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.fixture
def serve(tmp_path):
    """Start `kbsite serve ARGS` on a free port in a copy of the mini site; stop it after."""
    procs = []

    def start(*args: str, prepare=None):
        root = tmp_path / "src"
        shutil.copytree(MINI, root)
        if prepare:
            prepare(root)
        port = _free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1767225600"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "kbsite.cli", "serve", "-p", str(port), *args],
            cwd=root,
            env=env,
            stdout=(tmp_path / "serve.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        for _ in range(600):
            if _reachable("127.0.0.1", port):
                return root, port
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.1)
        raise AssertionError("kbsite serve did not start")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=20)


def _assert_headers(headers: Message) -> None:
    for name, value in HEADERS.items():
        assert headers.get(name) == value, name
    assert headers["Server"] == "kbsite"


def test_static_preview_serves_what_readers_get(serve):
    root, port = serve("--no-livereload")
    assert not _reachable("127.0.0.2", port)  # bound to 127.0.0.1, not to every address
    status, headers, body = _get(f"http://127.0.0.1:{port}/index.html")
    assert status == 200 and b"<script>\nvar livereload" not in body
    _assert_headers(headers)
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    status, headers, body = _get(f"http://127.0.0.1:{port}/nothing-here.html")
    assert status == 404 and b"404" in body and b"<nav" in body  # the site's own 404 page
    _assert_headers(headers)
    status, _, body = _get(f"http://127.0.0.1:{port}/assets/")
    assert status == 404 and b"lunr" not in body


def test_livereload_keeps_the_policy_and_still_reloads(serve, chromium):
    root, port = serve()
    assert not _reachable("127.0.0.2", port)
    url = f"http://127.0.0.1:{port}/devices/what-is-tails.html"
    status, headers, body = _get(url)
    assert status == 200
    _assert_headers(headers)
    assert b"var livereload" not in body  # no inline script for the policy to block
    assert b'<script src="/.kbsite-livereload.js?epoch=' in body
    assert b'rel="canonical"' not in body and f"127.0.0.1:{port}".encode() not in body  # as readers get it
    status, headers, js = _get(f"http://127.0.0.1:{port}/.kbsite-livereload.js?epoch=1&id=2")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"livereload(" in js
    # The session's Chromium (tests/browsers.py): one sync Playwright at a time.
    page = chromium.new_page()
    console = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(url)
    page.wait_for_function("() => true")
    for _ in range(50):
        if "Enabled live reload" in console:
            break
        time.sleep(0.1)
    assert "Enabled live reload" in console  # the moved script ran under script-src 'self'
    article = root / "content" / "devices" / "what-is-tails.md"
    with page.expect_navigation(timeout=30000):
        article.write_text(
            article.read_text(encoding="utf-8").replace(
                "Tor again, not linked twice.", "Edited while serving."
            ),
            encoding="utf-8",
        )
    page.wait_for_selector("text=Edited while serving.", timeout=10000)
    page.close()
    # No handbook was built for this fresh copy, and the preview never lays one out.
    status, _, body = _get(f"http://127.0.0.1:{port}/index.html")
    assert status == 200 and b"the handbook is not laid out while serving" in body
    assert not (root / ".cache").exists()


def _two_languages(root: Path) -> None:
    kbsite_option(root, "languages: [ja]")
    kbsite_option(root, "handbook: false")
    kbsite_option(root, "epub: false")


def test_live_preview_is_the_original_language_and_says_so(serve, tmp_path):
    root, port = serve(prepare=_two_languages)
    log = (tmp_path / "serve.log").read_text()
    assert "live preview of the original language (en) only, without the language links; ja/ are built" in log
    status, _, body = _get(f"http://127.0.0.1:{port}/devices/what-is-tails.html")
    assert status == 200 and b"kb-languages" not in body  # no link to a page the preview lacks
    assert _get(f"http://127.0.0.1:{port}/ja/index.html")[0] == 404


def test_static_preview_has_every_language(serve):
    root, port = serve("--no-livereload", prepare=_two_languages)
    status, _, body = _get(f"http://127.0.0.1:{port}/ja/devices/what-is-tails.html")
    assert status == 200 and b'<html lang="ja"' in body
    assert b'href="../../devices/what-is-tails.html" lang="en"' in body
