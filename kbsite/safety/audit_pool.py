"""Audit pages as MkDocs writes them: on the second core, or inline.

The audit reads every output file (17% of a 1,000-article build when run after
the build). Pages are audited from the exact HTML MkDocs is about to write
(`on_post_page`, last), in a spawned worker process, so that time overlaps page
rendering; `on_post_build` audits the remaining files and collects the pages.
A spawned worker imports only this module's dependencies, so it costs little
memory and is safe even when the build process has threads (`mkdocs serve`).
When the build already renders on both cores (kbsite.site.parallel), a third process
would only compete for them: each process then audits its own pages inline.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

from .audit import Finding, audit_text

BATCH = 40  # pages per task: fewer round trips, still overlapping the build


def _audit_batch(pages: list[tuple[str, str]], site_url: str, outer: str) -> list[Finding]:
    clean: set[tuple] = set()
    return [f for rel, text in pages for f in audit_text(rel, text, site_url, clean, outer)]


class PageAuditor:
    def __init__(self, site_url: str, outer: str = ""):
        self.site_url, self.outer = site_url, outer
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        self.batch: list[tuple[str, str]] = []
        self.futures: list[Future] = []
        self.audited: set[str] = set()

    def submit(self, rel: str, html: str) -> None:
        self.audited.add(rel)
        self.batch.append((rel, html))
        if len(self.batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.batch:
            self.futures.append(self.pool.submit(_audit_batch, self.batch, self.site_url, self.outer))
            self.batch = []

    def findings(self) -> list[Finding]:
        """Wait for every page; the worker process ends here."""
        self._flush()
        try:
            return [f for future in self.futures for f in future.result()]
        finally:
            self.pool.shutdown()


class InlineAuditor:
    """The same interface, auditing in this process."""

    def __init__(self, site_url: str, outer: str = ""):
        self.site_url, self.outer = site_url, outer
        self.found: list[Finding] = []
        self.audited: set[str] = set()
        self.clean: set[tuple] = set()

    def submit(self, rel: str, html: str) -> None:
        self.audited.add(rel)
        self.found += audit_text(rel, html, self.site_url, self.clean, self.outer)

    def findings(self) -> list[Finding]:
        return self.found
