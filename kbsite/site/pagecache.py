"""The live preview's memory of finished article pages (`kbsite serve` only).

At 300 articles a preview rebuild spent about three quarters of its time on the
Markdown, the page templates and the page audit of articles that had not changed.
Between rebuilds the plugin keeps each article's finished HTML, with what the rest
of the build needs from it: its anchors, its links to other pages' anchors (so
MkDocs still checks them against the edited pages) and its audit findings.

An article page shows its own source and what every page shows: the navigation,
titles, summaries and tags of other articles (related, previous/next), the glossary,
the tools, the templates and the configuration. So a kept page is reused while its
own body and `shared_key` are unchanged; an edit to a body re-renders that article
only, any other edit re-renders every article. Generated pages (home, categories,
indexes) always render: they read every article, and they are few.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import jinja2
import jinja2.bccache
from mkdocs.structure.pages import Page

from ..content.model import Article, KnowledgeBase
from ..safety.audit import Finding, audit_text


@dataclass
class Kept:
    key: str
    dest: str  # output path, for the audit
    html: str
    anchors: set[str]
    links: dict[str, dict[str, str]]  # linked page's src_uri -> anchor -> the link as written
    findings: list[Finding]


def _without_body(article: Article) -> Article:
    return dataclasses.replace(article, body="", body_line=0)


def _files(folder: Path, leave_out: set[str]) -> list[tuple[str, int, int]]:
    """(path, size, mtime) of every file under `folder`, but those in `leave_out`."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            if rel not in leave_out:
                st = os.stat(path)
                out.append((rel, st.st_size, st.st_mtime_ns))
    return out


def shared_key(kb: KnowledgeBase, config_file: str | None, folders: list[Path], extra: object) -> str:
    """A digest of what every article page may show besides its own body: the model with
    each article's body left out, the configuration, and every other file of the content
    folder and the template folders (`folders`, the content folder first); `extra` for
    what the build adds (the search index's size)."""
    h = hashlib.sha256()
    model = dataclasses.replace(
        kb,
        articles=[_without_body(a) for a in kb.articles],
        translations={
            lang: {k: _without_body(a) for k, a in t.items()} for lang, t in kb.translations.items()
        },
        warnings=[],  # said once per build, never on a page
    )
    h.update(repr(model).encode())
    h.update(Path(config_file).read_bytes() if config_file else b"")
    h.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    bodies = {a.source_path for a in kb.articles}
    for n, folder in enumerate(folders):
        h.update(repr(_files(folder, bodies if n == 0 else set())).encode())
    h.update(repr(extra).encode())
    return h.hexdigest()


def own_key(article: Article) -> str:
    return hashlib.sha256(f"{article.body_line}\n{article.body}".encode()).hexdigest()


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory: each build makes new Jinja environments, and
    compiling the templates again was a sixth of a rebuild. Jinja checks each template's
    source against its checksum, so an edited override is compiled afresh. One per kind of
    environment: the compiled code depends on its options (autoescape), the key does not."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if code := self.code.get(bucket.key):
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


class PageCache:
    def __init__(self) -> None:
        self.theme_templates = _CompiledTemplates()  # MkDocs' environment
        self.own_templates = _CompiledTemplates()  # kbsite.site.render's
        self.shared = ""
        self.kept: dict[str, Kept] = {}  # src_uri -> the page as last rendered
        self.reused: dict[str, Kept] = {}  # this build's: kept pages used again
        self.rendered: dict[str, Kept] = {}  # this build's: pages rendered (and kept)
        self.clean: set[tuple] = set()  # start tags the audit found clean, for every build
        self.audits: dict[str, tuple[str, list[Finding]]] = {}  # the other files' (audit.audit_site)

    def begin(self, shared: str) -> None:
        """A new build: forget every page if anything besides the bodies changed."""
        if shared != self.shared:
            self.kept.clear()
            self.clean.clear()
            self.audits.clear()
            self.shared = shared
        self.reused, self.rendered = {}, {}

    def reuse(self, article: Article) -> Kept | None:
        """The article's kept page, if its body and everything shared are unchanged."""
        kept = self.kept.get(article.src_uri)
        if kept is None or kept.key != own_key(article):
            return None
        self.reused[article.src_uri] = kept
        return kept

    def reusing(self, src_uri: str) -> Kept | None:
        return self.reused.get(src_uri)

    def keep(self, article: Article, page: Page, html: str, site_url: str, outer: str) -> None:
        """Audit the page just rendered and keep it for the next build."""
        dest = page.file.dest_uri
        self.rendered[article.src_uri] = self.kept[article.src_uri] = Kept(
            key=own_key(article),
            dest=dest,
            html=html,
            anchors=set(page.present_anchor_ids or ()),
            links={file.src_uri: dict(links) for file, links in (page.links_to_anchors or {}).items()},
            findings=audit_text(dest, html, site_url, self.clean, outer),
        )

    def audited(self) -> tuple[list[Finding], set[str]]:
        """This build's article pages: their audit findings, and their output paths."""
        pages = [*self.reused.values(), *self.rendered.values()]
        return [f for k in pages for f in k.findings], {k.dest for k in pages}

    def summary(self) -> str:
        return f"{len(self.reused)} article pages kept from the last build, {len(self.rendered)} rendered"
