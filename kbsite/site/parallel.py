"""Render part of the article pages in a second, forked process.

MkDocs renders pages one after another on one core; Markdown and the page
templates are most of a build. After the navigation is built (`on_nav`) the
build process forks. Both processes go on with MkDocs' own build loop, each
with the other's pages set aside: marked excluded, so MkDocs neither reads nor
renders them (the navigation gives their titles). The parent keeps everything
else (generated pages, static files, 404, sitemap, the post-build audit); before
the sitemap it takes the child's pages back in with an empty template, so MkDocs
lists them but writes nothing for them. The child only renders and writes its
articles, then reports back through a pipe just before MkDocs' `on_post_build`
and exits without running anything after it.

The two halves need each other in three places, all handled here: warnings
and errors the child logs are replayed by the parent (so strict mode counts
them and they print once); the child's page audit findings go to the parent's
audit; anchor links between the halves are checked by the parent once it has
both halves' anchors (each process can only check its own).

Only used where it is safe: Linux-like `fork`, two or more CPUs, not `serve`,
and kbsite as the only plugin (another plugin's state would be split in two).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import signal
import sys
from typing import Any, NoReturn

from mkdocs.structure.files import Files, InclusionLevel

SKIP_TEMPLATE = "kb/skip.html"  # empty: MkDocs writes no file for an empty page


def possible(config, serving: bool) -> bool:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return hasattr(os, "fork") and cpus >= 2 and not serving and set(config.plugins) == {"kbsite"}


class _Capture(logging.Handler):
    """In the child: keep warnings and errors for the parent instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []  # kept alive, so id() stays unique

    def emit(self, record: logging.LogRecord) -> None:
        if all(r is not record for r in self.records):  # on two loggers when one propagates
            self.records.append(record)


# The parent also renders the generated pages and writes every other file.
CHILD_SHARE = 0.55


class Split:
    """One build's articles divided between this process and a forked child."""

    def __init__(self, articles: list[str]):
        # A contiguous run in folder order: whole categories mostly stay in one process,
        # so each renders fewer cached navigation trees (kbsite.site.navcache).
        ordered = sorted(articles)
        self.child_pages = set(ordered[: round(len(ordered) * CHILD_SHARE)])  # src_uris the child renders
        self.is_child = False
        self.pid = 0
        self.fd = -1
        self.capture: _Capture | None = None
        self.excluded: dict[str, InclusionLevel] = {}  # src_uri -> inclusion before the split
        self.logs = [logging.getLogger("mkdocs.commands.build"), logging.getLogger("mkdocs.structure.pages")]
        for logger in self.logs:
            logger.addFilter(self._quiet)

    def fork(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        read, write = os.pipe()
        # Objects from before the fork stay shared: the collector would otherwise touch (copy) them all.
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            # Ctrl-C or SIGTERM ends the child at once; the parent cleans up. (Python's
            # handlers would unwind the child into the caller's code after the build.)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.close(read)
            self.is_child, self.fd = True, write
            self.capture = _Capture()
            for logger in (logging.getLogger(), logging.getLogger("mkdocs")):
                for handler in logger.handlers:
                    handler.addFilter(lambda r: r.levelno < logging.WARNING)
                logger.addHandler(self.capture)
        else:
            os.close(write)
            self.pid, self.fd = pid, read

    def renders(self, src_uri: str) -> bool:
        """Whether this process renders the page."""
        return (src_uri in self.child_pages) == self.is_child

    def exclude(self, files: Files, titled: set[str]) -> None:
        """Set the other process's pages aside: MkDocs neither reads nor renders an
        excluded page. Only pages whose titles the navigation gives (`titled`); a plain
        page is read by both, for its title, and written by the parent."""
        for file in files.documentation_pages():
            if not self.renders(file.src_uri) and file.src_uri in titled:
                self.excluded[file.src_uri] = file.inclusion
                file.inclusion = InclusionLevel.EXCLUDED

    def divide_writes(self, files: Files, config) -> None:
        """Before MkDocs writes (`on_env`): the parent writes every file but the child's
        pages, the child only its pages."""
        if not self.is_child:
            self._restore(files)
            return
        for file in [f for f in files if not f.is_documentation_page()]:
            files.remove(file)
        config.theme.static_templates.clear()
        config.extra_templates.clear()

    def _restore(self, files: Files) -> None:
        """In the parent, before the sitemap: every page is in the site again, the
        child's with the empty template, so MkDocs lists them but writes nothing."""
        for src_uri, inclusion in self.excluded.items():
            file = files.get_file_from_path(src_uri)
            assert file is not None and file.page is not None
            file.inclusion = inclusion
            file.page.meta["template"] = SKIP_TEMPLATE
        self.excluded = {}

    def _quiet(self, record: logging.LogRecord) -> bool:
        # What MkDocs says about the other half's pages is not news: "Page skipped: 'a/b.md'.
        # Generated empty output." and "... contains a link to 'a/b.md' which is excluded ...".
        msg = record.getMessage()
        if msg.startswith("Page skipped: '"):
            return self.renders(msg.split("'")[1])
        if msg.endswith("' which is excluded from the built site."):
            return msg.rsplit("'", 2)[-2] not in self.excluded
        return True

    # The child's side.

    def finish_child(self, ok: bool, **report: Any) -> NoReturn:
        """Send the report and the kept log records to the parent, then exit at once:
        nothing after this point of the build (other plugins, MkDocs) may run twice."""
        records = [(r.name, r.levelno, r.getMessage()) for r in self.capture.records] if self.capture else []
        try:
            with os.fdopen(self.fd, "wb") as pipe:
                pickle.dump({"ok": ok, "records": records, **report}, pipe)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0 if ok else 1)

    # The parent's side.

    def collect(self) -> dict:
        """Wait for the child; replay its log records here (strict mode counts them)."""
        fd, self.fd = self.fd, -1
        with os.fdopen(fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        self._unquiet()
        gc.unfreeze()
        report: dict = pickle.loads(data) if data else {"ok": False, "records": []}
        for name, level, message in report["records"]:
            logging.getLogger(name).log(level, "%s", message)
        report["ok"] = report["ok"] and status == 0
        return report

    def abort(self) -> None:
        """The parent failed first: stop the child."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)  # gone before the caller removes the folder it wrote into
            self.pid = 0
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        self._unquiet()

    def _unquiet(self) -> None:
        for logger in self.logs:
            logger.removeFilter(self._quiet)


def anchors_of(pages) -> dict[str, Any]:
    """What the parent needs to check links between the halves: each page's anchors and links."""
    return {
        p.file.src_uri: (
            sorted(p.present_anchor_ids or ()),
            {to.src_uri: links for to, links in (p.links_to_anchors or {}).items()},
        )
        for p in pages
    }


def check_anchors_between(files: Files, child_pages: set[str], child_anchors: dict, log_level: int) -> None:
    """Check the anchor links from one half into the other, with MkDocs' own messages."""
    for src, (anchors, links) in child_anchors.items():
        child = files.get_file_from_path(src)
        assert child is not None and child.page is not None
        child.page.present_anchor_ids = set(anchors)
        child.page.links_to_anchors = {
            target: ln for to, ln in links.items() if (target := files.get_file_from_path(to)) is not None
        }
    for file in files.documentation_pages():
        page = file.page
        if page is None or not page.links_to_anchors:
            continue
        own = file.src_uri in child_pages
        everything = page.links_to_anchors
        page.links_to_anchors = {
            to: ln for to, ln in everything.items() if (to.src_uri in child_pages) != own
        }
        try:
            page.validate_anchor_links(files=files, log_level=log_level)
        finally:
            page.links_to_anchors = everything
