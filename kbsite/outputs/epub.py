"""The EPUB 3 book: the handbook's chapters, one XHTML file per chapter, standard library only.

Articles, tables and tool cards come from the handbook's renderer (kbsite.outputs.handbook), so
the book and the PDF say the same; the templates under templates/epub/ frame them. Links point
inside the book (`#art-…` ids, resolved here to the file that holds them). ebooklib is not used:
it is AGPL. The bytes are reproducible: sorted entries, times from the edition date, a
name-based identifier.

downloads/<site>-<lang>.epub
  mimetype                  first, stored: what makes the zip an EPUB
  META-INF/container.xml    points to the package
  OEBPS/package.opf         metadata, manifest, reading order
  OEBPS/nav.xhtml           contents by chapter and article
  OEBPS/cover.xhtml, chapter-N.xhtml, glossary.xhtml, tools.xhtml, style.css, article images
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import posixpath
import re
import uuid
import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..content.model import KnowledgeBase
from ..safety import images
from ..site import i18n
from .handbook import HandbookRenderer, edition
from .names import download_name, size_mb
from .signing import printed_fingerprint
from .xhtml import to_xhtml

MIMETYPE = b"application/epub+zip"
ZIP_EPOCH = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)  # the earliest time a zip can hold
HREF_RE = re.compile(r'href="#([^"]*)"')
IMG_RE = re.compile(r'<img [^>]*?src="([^":]+)"')
MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}


@dataclass(frozen=True)
class Epub:
    path: str  # inside site/, e.g. downloads/anonymity-sense-en.epub
    data: bytes

    @property
    def size_mb(self) -> str:
        return size_mb(len(self.data))


@dataclass
class Doc:
    """One XHTML file of the book."""

    name: str
    title: str
    body: str
    ids: list[str]


def epub_path(site_name: str, language: str) -> str:
    return f"downloads/{download_name(site_name, language, 'epub')}"


def book_files(
    kb: KnowledgeBase,
    loader: jinja2.BaseLoader,
    content_dir: Path,
    *,
    language: str = "en",
    description: str = "",
    extensions: list | None = None,
    configs: dict | None = None,
    glossary_links: bool = True,
    fingerprint: str = "",
    articles: dict[str, Markup] | None = None,
) -> dict[str, bytes]:
    """Every file of the EPUB but `mimetype`, by its path in the zip (`articles`: as the handbook's)."""
    book = HandbookRenderer(kb, loader, glossary_links)
    rendered = articles or book.articles_html(extensions or [], configs or {})
    when = edition(kb) or ZIP_EPOCH
    title = kb.site_name or i18n.translate(language, "Handbook")
    direction = kb.language.direction if kb.language else "ltr"
    common = {
        "language": language,
        "direction": direction,
        "description": description,
        "fingerprint": fingerprint,
    }

    def doc(name: str, doc_title: str, template: str, **context) -> Doc:
        body, ids = to_xhtml(book._render(template, "index.md", **common, **context))
        return Doc(name, doc_title, body, ids)

    docs = [doc("cover.xhtml", title, "epub/cover.html", edition=when.date().isoformat())]
    chapters = [(c, kb.in_category(c)) for c in kb.categories if kb.in_category(c)]
    for n, (category, in_chapter) in enumerate(chapters, 1):
        html = [(a, rendered[a.slug]) for a in in_chapter]
        docs.append(
            doc(
                f"chapter-{n}.xhtml",
                category.title,
                "epub/chapter.html",
                category=category,
                number=n,
                articles=html,
            )
        )
    if kb.glossary:
        docs.append(
            doc(
                "glossary.xhtml",
                i18n.translate(language, "Glossary"),
                "epub/glossary.html",
                terms=kb.glossary,
            )
        )
    tools = [(t, kb.citing(t)) for t in sorted(kb.tools.values(), key=lambda t: t.name.lower())]
    if tools := [(t, arts) for t, arts in tools if arts]:
        docs.append(
            doc("tools.xhtml", i18n.translate(language, "Index of tools"), "epub/tools.html", tools=tools)
        )

    where = {ident: d.name for d in docs for ident in d.ids}
    files: dict[str, bytes] = {}
    for d in docs:
        d.body = HREF_RE.sub(partial(_href, here=d.name, where=where), d.body)
        for src in IMG_RE.findall(d.body):
            path = posixpath.normpath(src)
            if not path.startswith("..") and (content_dir / path).is_file():
                # The same metadata-free copy the site publishes (no GPS, camera or author).
                files[f"OEBPS/{path}"] = images.strip((content_dir / path).read_bytes(), path)
        page = book._render("epub/page.xhtml", "index.md", title=d.title, body=Markup(d.body), **common)
        files[f"OEBPS/{d.name}"] = page.encode()

    # Chapters with their articles, for the contents (nav.xhtml).
    contents = [
        (d, [(a, where[f"art-{a.slug}"]) for a in arts])
        for d, (_, arts) in zip(docs[1 : 1 + len(chapters)], chapters, strict=True)
    ]
    back = docs[1 + len(chapters) :]
    files["OEBPS/nav.xhtml"] = book._render(
        "epub/nav.xhtml", "index.md", title=title, contents=contents, back=back, cover=docs[0], **common
    ).encode()
    files["OEBPS/style.css"] = book._render("epub/epub.css", "index.md").encode()
    files["META-INF/container.xml"] = book._render("epub/container.xml", "index.md").encode()
    resources = sorted(
        (name[6:], MEDIA_TYPES.get(Path(name).suffix.lower()) or mimetypes.guess_type(name)[0] or "")
        for name in files
        if name.startswith("OEBPS/") and not name.endswith((".xhtml", ".css"))
    )
    files["OEBPS/package.opf"] = book._render(
        "epub/package.opf",
        "index.md",
        title=title,
        identifier=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'kbsite:{title}:{language}')}",
        modified=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        docs=docs,
        resources=resources,
        **common,
    ).encode()
    return files


def _href(match: re.Match[str], here: str, where: dict[str, str]) -> str:
    ident = match.group(1)
    target = where.get(ident)
    if target is None:
        return 'href="nav.xhtml"'  # the site's home or A–Z: the book's contents
    return f'href="#{ident}"' if target == here else f'href="{target}#{ident}"'


def write_epub(files: dict[str, bytes], when: dt.datetime) -> bytes:
    """The zip: `mimetype` first and stored, then every file sorted, fixed times and modes."""
    buf = io.BytesIO()
    stamp = max(when, ZIP_EPOCH).timetuple()[:6]
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in [("mimetype", MIMETYPE), *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=9)
    return buf.getvalue()


def build(
    kb: KnowledgeBase,
    config,
    loader: jinja2.BaseLoader,
    language: str,
    articles: dict[str, Markup] | None = None,
) -> Epub:
    """The EPUB for an MkDocs config that the kbsite plugin has set up."""
    plugin = config.plugins.get("kbsite")
    files = book_files(
        kb,
        loader,
        Path(config.docs_dir),
        language=language,
        description=config.site_description or "",
        extensions=list(config.markdown_extensions),
        configs=dict(config.mdx_configs),
        glossary_links=plugin.config.glossary_links if plugin else True,
        fingerprint=printed_fingerprint(plugin.config.signing_key) if plugin else "",
        articles=articles,
    )
    return Epub(epub_path(kb.site_name, language), write_epub(files, edition(kb) or ZIP_EPOCH))
