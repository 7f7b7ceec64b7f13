"""Real browsers for tests: headless Chromium (Playwright) and Firefox ESR (Marionette).

Session-scoped fixtures, shared by every browser test (offline, search, hosting):
  chromium          a Playwright Browser (Debian's /usr/bin/chromium); all its non-file
                    traffic goes to `chromium_proxy`
  firefox           a Firefox ESR session whose traffic goes to `firefox_proxy`, with
                    Tor Browser's Safest prefs through `firefox.safest()` / `.standard()`
  chromium_proxy,   LoggingProxy instances: record every request they receive and
  firefox_proxy     answer none (one per browser, so one's background cannot blame the other)
Helpers: `site_pages(site)` lists the HTML pages a reader opens from file://;
`PageLog(page)` collects a Chromium page's non-file requests and console errors;
`chromium_own(lines)` drops Chromium's own update/sign-in traffic from a proxy log.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MIN_WINDOW = 500  # Firefox's narrowest window
FIREFOX = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"

# Tor Browser's "Safest" level (SecurityLevel.sys.mjs plus what NoScript blocks).
SAFEST_PREFS = {
    "javascript.enabled": False,
    "svg.disabled": True,
    "gfx.downloadable_fonts.enabled": False,
    "mathml.disabled": True,
    "gfx.font_rendering.opentype_svg.enabled": False,
    "gfx.font_rendering.graphite.enabled": False,
    "javascript.options.wasm": False,
    "media.autoplay.default": 5,  # block all autoplay
    "media.autoplay.blocking_policy": 2,
    "media.play-stand-alone": False,
    "media.navigator.enabled": False,
    "media.peerconnection.enabled": False,
}
STANDARD_PREFS = {name: not value if isinstance(value, bool) else 0 for name, value in SAFEST_PREFS.items()}
STANDARD_PREFS.update({"media.autoplay.default": 0, "media.autoplay.blocking_policy": 0})

# Firefox's own traffic (updates, telemetry, safe browsing, remote settings, captive
# portal checks...) would reach the proxy and hide or fake a leak: switch it all off.
QUIET_PREFS = {
    "services.settings.server": "data:,#remote-settings-off",
    "app.update.disabledForTesting": True,
    "app.update.auto": False,
    "app.update.url": "",
    "app.normandy.enabled": False,
    "app.normandy.api_url": "",
    "app.shield.optoutstudies.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.provider.google.updateURL": "",
    "browser.safebrowsing.provider.google4.updateURL": "",
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "browser.startup.page": 0,
    "browser.startup.homepage": "about:blank",
    "browser.newtabpage.enabled": False,
    "browser.newtabpage.activity-stream.feeds.system.topsites": False,
    "browser.newtabpage.activity-stream.feeds.snippets": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "browser.search.geoip.url": "",
    "browser.search.update": False,
    "browser.ping-centre.telemetry": False,
    "browser.contentblocking.report.lockwise.enabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.server": "",
    "extensions.update.enabled": False,
    "extensions.blocklist.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "extensions.systemAddon.update.url": "",
    "media.gmp-manager.url": "",
    "media.gmp-manager.updateEnabled": False,
    "media.gmp-manager.chromium-update-url": "",  # Widevine updates come from update.googleapis.com
    "media.gmp-widevinecdm.enabled": False,
    "media.gmp-widevinecdm.visible": False,
    "media.eme.enabled": False,
    "media.gmp-gmpopenh264.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.http.speculative-parallel-limit": 0,
    "network.trr.mode": 5,
    "geo.enabled": False,
    "identity.fxaccounts.enabled": False,
    "security.OCSP.enabled": 0,
    "security.remote_settings.crlite_filters.enabled": False,
    "security.remote_settings.intermediates.enabled": False,
}


class LoggingProxy(socketserver.ThreadingTCPServer):
    """Records the first line of every request (GET http://..., CONNECT host:443) and refuses it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def take(self) -> list[str]:
        """Requests seen since the last call."""
        with self.lock:
            seen, self.requests = self.requests, []
        return seen


class _ProxyHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(8192).decode("latin-1").strip()
        if line:
            with self.server.lock:  # type: ignore[attr-defined]
                self.server.requests.append(line)  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def site_pages(site: Path) -> list[Path]:
    """Every page a reader can open from file://.

    404.html (the site's, and each language's) is left out: MkDocs writes it with
    root-absolute links for web servers (the documented exception in kbsite/audit.py);
    the hosting tests open it.
    """
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


# ---------------------------------------------------------------- Chromium


@contextlib.contextmanager
def _proxy() -> Iterator[LoggingProxy]:
    proxy = LoggingProxy()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()


@pytest.fixture(scope="session")
def chromium_proxy() -> Iterator[LoggingProxy]:
    with _proxy() as proxy:
        yield proxy


@pytest.fixture(scope="session")
def firefox_proxy() -> Iterator[LoggingProxy]:
    with _proxy() as proxy:
        yield proxy


# Chromium's own services, which it calls despite --disable-background-networking
# (component updates, network time, sign-in). Exact host names: a page's leak to any
# other Google host (fonts.googleapis.com...) is still reported.
CHROMIUM_OWN_HOSTS = {"update.googleapis.com", "clients2.google.com", "accounts.google.com"}


def chromium_own(lines: list[str]) -> list[str]:
    """Proxy log lines minus Chromium's own background requests."""

    def host(line: str) -> str:
        target = line.split()[1] if len(line.split()) > 1 else ""
        return urlsplit(target if "://" in target else "//" + target).hostname or ""

    return [line for line in lines if host(line) not in CHROMIUM_OWN_HOSTS]


@pytest.fixture(scope="session")
def chromium(chromium_proxy: LoggingProxy):
    """One headless Chromium for the session; every non-file request goes to the proxy."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            # Loopback stays direct, for tests of local servers; page.on("request") still
            # sees every request a page makes.
            args=[*CHROMIUM_ARGS, f"--proxy-server=http://127.0.0.1:{chromium_proxy.port}"],
        )
        yield browser
        browser.close()


class PageLog:
    """What one Chromium page did: requests other than file:, console errors, page errors."""

    def __init__(self, page) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: None if r.url.startswith("file:") else self.requests.append(r.url))
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))


# ---------------------------------------------------------------- Firefox


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _js(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


# Read and clear Firefox's console service; keep page errors, not Firefox's own.
_CONSOLE_JS = """
const messages = Services.console.getMessageArray() || [];
Services.console.reset();
const errors = [];
for (const m of messages) {
  if (!(m instanceof Ci.nsIScriptError) || m.isFromChromeContext) continue;
  if (m.logLevel < Ci.nsIConsoleMessage.error) continue;
  errors.push(m.category + ": " + m.errorMessage + " (" + m.sourceName + ")");
}
return errors;
"""


class Firefox:
    """A headless Firefox ESR driven through Marionette (no geckodriver needed)."""

    def __init__(self, proxy_port: int) -> None:
        with warnings.catch_warnings():  # mozinfo and mozrunner use deprecated modules
            warnings.simplefilter("ignore", DeprecationWarning)
            from marionette_driver.marionette import Marionette

        self.profile = Path(tempfile.mkdtemp(prefix="kbsite-firefox-"))
        self.port = _free_port()
        prefs = {
            **QUIET_PREFS,
            **SAFEST_PREFS,
            "marionette.port": self.port,
            "network.proxy.type": 1,
            "network.proxy.http": "127.0.0.1",
            "network.proxy.http_port": proxy_port,
            "network.proxy.ssl": "127.0.0.1",
            "network.proxy.ssl_port": proxy_port,
            "network.proxy.no_proxies_on": "",
            "network.proxy.allow_hijacking_localhost": True,
        }
        (self.profile / "user.js").write_text(
            "".join(f"user_pref({_js(k)}, {_js(v)});\n" for k, v in sorted(prefs.items()))
        )
        env = {**os.environ, "MOZ_REMOTE_SETTINGS_DEVTOOLS": "1", "MOZ_HEADLESS": "1"}
        self.proc = subprocess.Popen(
            [
                FIREFOX,
                "--marionette",
                "-remote-allow-system-access",
                "--headless",
                "--no-remote",
                "--profile",
                str(self.profile),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.client = Marionette(host="127.0.0.1", port=self.port, startup_timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.client.start_session()
                break
            except Exception:  # Marionette's socket is not up yet
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise
                time.sleep(0.5)
        self.client.timeout.page_load = 30
        self.zoom = 1.0

    def set_prefs(self, prefs: dict) -> None:
        for name, value in prefs.items():
            self.client.set_pref(name, value)

    def safest(self) -> None:
        """Tor Browser's Safest level: no JavaScript, no SVG, no web fonts, no media."""
        self.set_prefs(SAFEST_PREFS)

    def standard(self) -> None:
        self.set_prefs(STANDARD_PREFS)

    def open(self, url: str) -> None:
        # about:blank first: a new load, even of the same URL, under the current prefs.
        self.client.navigate("about:blank")
        self.client.navigate(url)
        if self.zoom != 1:
            with self.client.using_context("chrome"):
                self.client.execute_script(f"gBrowser.selectedBrowser.fullZoom = {self.zoom}")

    def set_viewport(self, width: int, height: int) -> None:
        """Make the page's viewport `width` CSS pixels wide.

        Firefox windows are at least 500 px wide; narrower viewports are a 500 px
        window zoomed in (as on a phone, CSS pixels larger than screen pixels).
        """
        window = max(width, MIN_WINDOW)
        self.zoom = window / width
        self.client.set_window_rect(width=window, height=height)

    def console_errors(self) -> list[str]:
        """Errors pages logged (CSP violations, script errors) since the last call."""
        with self.client.using_context("chrome"):
            return self.client.execute_script(_CONSOLE_JS)

    def screenshot(self, path: Path, full: bool = False) -> None:
        path.write_bytes(self.client.screenshot(format="binary", full=full))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.delete_session()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="session")
def firefox(firefox_proxy: LoggingProxy) -> Iterator[Firefox]:
    """One Firefox ESR for the session, started at the Safest level."""
    fx = Firefox(firefox_proxy.port)
    yield fx
    fx.close()
