"""Local preview on 127.0.0.1 with the production headers (kbsite.safety.policy).

Two servers:
- MkDocs' livereload server, wrapped by `wrap_livereload_app` (the plugin's
  on_serve). MkDocs injects its reload script inline, which the page policy
  (script-src 'self') blocks; the wrapper moves it into a same-origin file, so
  the preview keeps exactly the production policy and still reloads.
- `serve_static`, a small http.server for an already built folder
  (`kbsite serve --no-livereload`): what a reader gets, with the site's 404 page.
"""

from __future__ import annotations

import http.server
import posixpath
import re
from functools import partial
from pathlib import Path

from ..safety.policy import HEADERS, content_type

SERVER_NAME = "kbsite"  # no version, as in production (server_tokens off)
RELOAD_JS = "/.kbsite-livereload.js"
_INLINE_RELOAD = re.compile(
    rb"<script>\s*(var livereload = function\(epoch, requestId\) \{.*?\n\})\s*"
    rb"livereload\((\d+), (\d+)\);\s*</script>",
    re.S,
)
_START = "livereload(+kbsiteReload.get('epoch'), +kbsiteReload.get('id'));\n"


def _headers(headers: list[tuple[str, str]], path: str, status: str) -> list[tuple[str, str]]:
    drop = {"server", *(name.lower() for name in HEADERS)}
    kept = [(k, v) for k, v in headers if k.lower() not in drop]
    if status.startswith("200") and not path.startswith("/livereload/"):
        kept = [(k, v) for k, v in kept if k.lower() != "content-type"]
        kept.append(("Content-Type", content_type(posixpath.basename(path) or "index.html")))
    return [*kept, ("Server", SERVER_NAME), *HEADERS.items()]


def wrap_livereload_app(app):
    """WSGI middleware for MkDocs' livereload server: headers, and no inline script."""
    reload_js: list[bytes] = []  # MkDocs' own reload function, taken from the first page

    def wrapped(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path == RELOAD_JS:
            body = (reload_js[0] if reload_js else b"") + (
                b"var kbsiteReload = new URL(document.currentScript.src).searchParams;\n" + _START.encode()
            )
            start_response("200 OK", _headers([("Content-Length", str(len(body)))], path, "200"))
            return [body]
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)
            return lambda data: None  # MkDocs never uses write()

        result = app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        match = _INLINE_RELOAD.search(body)
        if match:
            if not reload_js:
                reload_js.append(match.group(1) + b"\n")
            tag = b'<script src="%s?epoch=%s&amp;id=%s"></script>' % (
                RELOAD_JS.encode(),
                match.group(2),
                match.group(3),
            )
            body = body[: match.start()] + tag + body[match.end() :]
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], _headers(headers, path, captured["status"]))
        return [body]

    return wrapped


class _Handler(http.server.SimpleHTTPRequestHandler):
    def version_string(self) -> str:
        return SERVER_NAME

    def end_headers(self) -> None:
        for name, value in HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def guess_type(self, path) -> str:
        return content_type(str(path))

    def list_directory(self, path):  # no directory listing, as in production
        self.send_error(404)
        return None

    def send_error(self, code, message=None, explain=None) -> None:
        page = Path(self.directory, f"{code}.html")
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(code)
        self.send_header("Content-Type", content_type("404.html"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # quiet: the terminal is for errors
        pass


def make_static_server(root: Path, port: int) -> http.server.ThreadingHTTPServer:
    """A server for a built folder, bound to 127.0.0.1 only (port 0: any free port)."""
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(_Handler, directory=str(root)))


def serve_static(root: Path, port: int) -> None:
    server = make_static_server(root, port)
    host, real_port = str(server.server_address[0]), server.server_address[1]
    print(f"Serving {root.name}/ on http://{host}:{real_port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
