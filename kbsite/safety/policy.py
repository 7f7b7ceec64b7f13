"""The security policy every copy of the site is served with.

One source of truth: the nginx config in deploy/ (written by `kbsite deploy-config`)
and the `kbsite serve` preview both send these headers.
"""

from __future__ import annotations

# Everything the site loads comes from its own folder; nothing may frame it.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)

# Every feature a browser lets a page ask for, denied to all origins.
DENIED_FEATURES = (
    "accelerometer",
    "ambient-light-sensor",
    "autoplay",
    "battery",
    "bluetooth",
    "browsing-topics",
    "camera",
    "clipboard-read",
    "clipboard-write",
    "display-capture",
    "document-domain",
    "encrypted-media",
    "fullscreen",
    "gamepad",
    "geolocation",
    "gyroscope",
    "hid",
    "identity-credentials-get",
    "idle-detection",
    "interest-cohort",
    "keyboard-map",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "otp-credentials",
    "payment",
    "picture-in-picture",
    "publickey-credentials-create",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "speaker-selection",
    "storage-access",
    "sync-xhr",
    "usb",
    "web-share",
    "window-management",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)

HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": PERMISSIONS_POLICY,
}

# Media types for what a built site holds; servers must not guess (nosniff).
MEDIA_TYPES: dict[str, str] = {
    ".css": "text/css",
    ".gif": "image/gif",
    ".gz": "application/gzip",
    ".html": "text/html",
    ".ico": "image/x-icon",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".js": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".xml": "application/xml",
}
TEXT_TYPES = {
    "text/css",
    "text/html",
    "text/javascript",
    "text/plain",
    "application/json",
    "application/xml",
    "image/svg+xml",
}


def content_type(name: str) -> str:
    """The Content-Type header for a file name (charset on text types)."""
    dot = name.rfind(".")
    media = MEDIA_TYPES.get(name[dot:].lower() if dot >= 0 else "", "application/octet-stream")
    return f"{media}; charset=utf-8" if media in TEXT_TYPES else media


# Pages carry the policy in a <meta> element too, so it holds from file:// and on any
# server. Browsers ignore frame-ancestors (and report-uri, sandbox) there and log an
# error for it, so the meta copy leaves those out.
META_IGNORED = ("frame-ancestors", "report-uri", "sandbox")
META_CSP = "; ".join(d for d in CSP.split("; ") if not d.startswith(META_IGNORED))
REFERRER_POLICY = HEADERS["Referrer-Policy"]
