"""File names of the downloads, one per language: `<site>-<lang>.<ext>`."""

from __future__ import annotations

from ..content.model import slugify


def download_name(site_name: str, language: str, ext: str) -> str:
    return f"{slugify(site_name) or 'knowledge-base'}-{language}.{ext}"
