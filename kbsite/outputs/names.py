"""File names of the downloads, one per language: `<site>-<lang>.<ext>`."""

from __future__ import annotations

from ..content.model import slugify


def download_name(site_name: str, language: str, ext: str) -> str:
    return f"{slugify(site_name) or 'knowledge-base'}-{language}.{ext}"


def size_mb(size: int) -> str:
    """A download's size as the pages print it, in MB (10^6 bytes)."""
    mb = size / 1_000_000
    return f"{mb:.1f}" if mb >= 1 else f"{max(mb, 0.01):.2f}"
