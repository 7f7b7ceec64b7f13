"""The MkDocs entry point `kbsite.plugin:KbPlugin`, kept where sites' installs expect it."""

from .site.plugin import KbPlugin

__all__ = ["KbPlugin"]
