"""The offline audit: find every reference in a built site that would load from elsewhere.

A pure module: `audit_site(folder)` reads the output files and returns findings;
the plugin turns them into a failed build. What counts as a load:

* HTML, SVG and XML: src, srcset, poster, data (object), action, formaction, ping,
  background, manifest, xlink:href, href on everything but <a>/<area> and
  navigation-only <link> rels, meta refresh, <?xml-stylesheet?>, and the CSS in
  <style> elements and style attributes.
* CSS: url() and @import.
* JavaScript: a string literal that starts with an absolute URL (http:, https:, ws:,
  wss:, ftp: or protocol-relative //host). Scripts build requests from strings
  (fetch, XMLHttpRequest, importScripts, new Worker, script elements), so any such
  string is reported unless it is listed in JS_ALLOWED with the reason it never loads.

A reference is a finding when it has a scheme other than data: (or, for a link a
reader follows, when it points back into the site by an absolute path), is
root-absolute ("/x", which breaks on file:// and under a sub-path), or climbs out of
the site folder. Plain <a href> links to other sites are allowed, but must carry
rel="noreferrer" (the pages also send no referrer at all).

The one exception: MkDocs writes 404.html with root-absolute links, because a web
server shows it for URLs at any depth; on file:// it is never shown. Its
root-absolute links are allowed; anything external in it is still a finding.

Pages also must not rely on inline scripts or styles (the policy in kbsite.safety.policy
blocks them) and must carry that policy.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from html import parser as hp
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from . import policy

AUDITED = (".html", ".htm", ".css", ".js", ".mjs", ".svg", ".xml")
SERVER_ONLY_PAGES = {"404.html"}  # see the module docstring
LOAD_ATTRS = {
    "src",
    "srcset",
    "poster",
    "action",
    "formaction",
    "ping",
    "background",
    "manifest",
    "xlink:href",
    "lowsrc",
    "dynsrc",
    "longdesc",
    "codebase",
    "archive",
}
# <link> rels that name a page a reader may go to, rather than something the browser fetches.
NAV_RELS = {
    "alternate",
    "author",
    "bookmark",
    "canonical",
    "help",
    "license",
    "next",
    "prev",
    "search",
    "tag",
    "me",
    "external",
    "nofollow",
    "noopener",
    "noreferrer",
}
# The Markdown-facing name of each kind of reference, for messages.
CONTENT_IMAGE_TAGS = {"img", "source", "picture", "image"}
EXECUTABLE_SCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module", "module-shim"}

# URL strings in Material's bundle that never turn into a request in a kbsite build.
# Keyed by output file pattern and exact string; the browser tests prove the silence.
MATERIAL_BUNDLE = re.compile(r"^assets/javascripts/bundle\.[0-9a-f]+\.min\.js$")
JS_ALLOWED = {
    (
        MATERIAL_BUNDLE,
        "https://unpkg.com/resize-observer-polyfill",
    ): "loaded only when the browser lacks ResizeObserver (all current browsers have it)",
    (
        MATERIAL_BUNDLE,
        "https://unpkg.com/mermaid@11/dist/mermaid.min.js",
    ): "loaded only for Mermaid diagrams, which kbsite does not enable",
    (
        MATERIAL_BUNDLE,
        "https://api.github.com/repos/",
    ): "fetched only when repo_url is set, which kbsite refuses",
    (
        MATERIAL_BUNDLE,
        "https://api.github.com/users/",
    ): "fetched only when repo_url is set, which kbsite refuses",
    (
        re.compile(r"^assets/javascripts/workers/search\.[0-9a-f]+\.min\.js$"),
        "https://bit.ly/2s3ChXG",
    ): "text of a console warning, never requested",
}
NAMESPACE_URLS = re.compile(
    r"^https?://(www\.)?w3\.org/(1999/xhtml|2000/svg|1999/xlink|1998/Math/MathML"
    r"|XML/1998/namespace|2000/xmlns/?)$"
)

CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
JS_URL = re.compile(r"""["'`]((?:(?:https?|wss?|ftp):)?//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+[^"'`\s]*)""", re.I)
REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\"\s;]+)", re.I)
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# Link targets that run code or open the reader's own files instead of going to a page.
DANGEROUS_SCHEMES = {"javascript", "vbscript", "data", "file"}
# Browsers ignore these inside a URL (so `java\tscript:` is `javascript:`) and around it.
URL_IGNORED = re.compile(r"[\t\n\r]")


@dataclass(frozen=True)
class Finding:
    """One reference that would load from outside the site (or break offline)."""

    output: str  # path inside the site folder, with forward slashes
    what: str  # e.g. "<img src>", "CSS url()", "script URL string"
    url: str
    problem: str
    fix: str
    source: str | None = None  # Markdown file (relative to content/) the reference came from
    line: int | None = None

    def format(self) -> str:
        where = f"{self.source}:{self.line}" if self.source else self.output
        via = f" (in {self.output})" if self.source else ""
        url = f" {self.url!r}" if self.url else ""
        return f"{where}: {self.what}{url} {self.problem}{via}\n    fix: {self.fix}"


@dataclass(frozen=True)
class Source:
    """The Markdown file an output page was built from."""

    path: str  # relative to content/
    text: str


def format_findings(findings: list[Finding]) -> str:
    n = len(findings)
    head = f"Offline audit: {n} reference{'s' if n != 1 else ''} would load from outside the site or break offline:"
    return "\n".join([head, *(f.format() for f in findings)])


def audit_site(
    site: Path,
    sources: Mapping[str, Source] | None = None,
    site_url: str = "",
    skip: AbstractSet[str] = frozenset(),
    earlier: Sequence[Finding] = (),
    outer: str = "",
    memo: dict[str, tuple[str, list[Finding]]] | None = None,
) -> list[Finding]:
    """Audit every HTML, CSS, JS, SVG and XML file under `site`.

    Files in `skip` were audited already (from the text MkDocs wrote), with the
    `earlier` findings; the result is in file order either way. `outer` is where
    `site` sits in the whole site ("ja/" for a translation's build): links may go
    there, not further up. `memo` (path -> digest of its text, findings) carries the
    findings of files whose text did not change from one audit to the next."""
    findings: list[Finding] = list(earlier)
    clean: set[tuple] = set()  # start tags already found clean, shared by all files
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.suffix.lower() in AUDITED:
            rel = path.relative_to(site).as_posix()
            if rel in skip:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if memo is None:
                findings += audit_text(rel, text, site_url, clean, outer)
                continue
            digest = hashlib.sha256(text.encode()).hexdigest()
            if (known := memo.get(rel)) is None or known[0] != digest:
                known = memo[rel] = (digest, audit_text(rel, text, site_url, clean, outer))
            findings += known[1]
    findings.sort(key=lambda f: f.output)  # stable: a file's findings keep their order
    return locate(findings, sources or {})


def locate(
    findings: list[Finding], sources: Mapping[str, Source], data: Sequence[Source] = ()
) -> list[Finding]:
    """Point findings in pages at the Markdown lines they came from, where they did.

    The n-th finding of one URL in a page is put on the n-th line holding it; a finding
    in a page without Markdown (generated pages, the navigation of every page) is put
    on a data file (`data`, e.g. _data/categories.yml) that holds its URL, if one does."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for f in findings:
        n = seen[f.output, f.url] = seen.get((f.output, f.url), -1) + 1
        source = sources.get(f.output)
        located = _locate(f, source, n) if source else None
        for other in data if located is None else ():
            if (located := _locate(f, other, 0)) is not None:
                break
        out.append(located or f)
    return out


def audit_text(
    rel: str, text: str, site_url: str = "", clean: set[tuple] | None = None, outer: str = ""
) -> list[Finding]:
    """Audit one file's text; `rel` is its path in the site (it decides the kind).

    `clean` remembers start tags (exact text, per folder and kind of file) that gave
    no finding: the navigation and page frame repeat them in every page."""
    ext = posixpath.splitext(rel)[1].lower()
    checker = _Checker(rel, site_url, outer)
    if ext in (".css",):
        checker.css(text, "CSS")
    elif ext in (".js", ".mjs"):
        checker.js(text)
    else:
        _MarkupScanner(checker, page=ext in (".html", ".htm"), clean=clean).scan(text)
    return checker.findings


class _Checker:
    def __init__(self, rel: str, site_url: str, outer: str = ""):
        self.rel, self.outer = rel, outer
        self.site_url = site_url.rstrip("/") + "/" if site_url else ""
        self.findings: list[Finding] = []

    def add(self, what: str, url: str, problem: str, fix: str) -> None:
        self.findings.append(Finding(self.rel, what, url, problem, fix))

    def load(self, what: str, url: str) -> None:
        """A reference the browser fetches by itself: it must stay inside the folder."""
        url = url.strip()
        if not url or url.startswith("#"):
            return
        scheme = SCHEME.match(url)
        if scheme and scheme.group(1).lower() == "data":
            return
        if self._self_absolute(url):
            self.add(
                what,
                url,
                "points into the site by an absolute address, which breaks on file:// and under a sub-path",
                "use a relative address",
            )
        elif scheme or url.startswith("//"):
            self.add(
                what,
                url,
                "loads from outside the site",
                "copy the file into the site (content/ or the theme) and refer to it relatively",
            )
        elif not self._inside(url):
            self.add(what, url, "climbs out of the site folder", "refer to a file inside the site")

    def link(self, what: str, url: str, rel_attr: str) -> None:
        """A link a reader follows: other sites are fine, absolute self-links are not."""
        url = url.strip()
        scheme = SCHEME.match(URL_IGNORED.sub("", url).lstrip("\x00 \x0b\x0c"))
        if scheme and scheme.group(1).lower() in DANGEROUS_SCHEMES:
            self.add(
                what,
                url[:80],
                f"is a {scheme.group(1).lower()}: link, which runs code or opens a file instead of a page",
                "link to an http(s) address or to a page of the site (its .md file)",
            )
        elif self._self_absolute(url):
            fix = (
                "leave site_url unset in mkdocs.yml (MkDocs then writes no absolute canonical links)"
                if "canonical" in rel_attr.lower().split()
                else "use a relative link (to the .md file in Markdown)"
            )
            self.add(
                what,
                url,
                "points into the site by an absolute address, which breaks on file:// and under a sub-path",
                fix,
            )
        elif SCHEME.match(url) and url.split(":", 1)[0].lower() in ("http", "https") or url.startswith("//"):
            if "noreferrer" not in rel_attr.lower().split():
                self.add(
                    what,
                    url,
                    'links to another site without rel="noreferrer"',
                    'add rel="noopener noreferrer" (Markdown links get it automatically)',
                )
        elif not SCHEME.match(url) and not self._inside(url):
            self.add(what, url, "climbs out of the site folder", "link to a page inside the site")

    def _self_absolute(self, url: str) -> bool:
        if self.site_url and url.startswith(self.site_url):
            return True
        if url.startswith("/") and not url.startswith("//"):
            return self.rel not in SERVER_ONLY_PAGES
        return False

    def _inside(self, url: str) -> bool:
        path = urlsplit(url).path
        if not path:
            return True
        joined = posixpath.normpath(posixpath.join(self.outer + posixpath.dirname(self.rel), path))
        return not (joined == ".." or joined.startswith("../"))

    def srcset(self, what: str, value: str) -> None:
        for candidate in value.split(","):
            parts = candidate.split()
            if parts:
                self.load(what, parts[0])

    def css(self, text: str, where: str) -> None:
        text = CSS_COMMENT.sub("", text)
        for m in CSS_IMPORT.finditer(text):
            self.load(f"{where} @import", m.group(1) or m.group(2) or "")
        for m in CSS_URL.finditer(text):
            self.load(f"{where} url()", next(g for g in m.groups() if g is not None))

    def js(self, text: str, where: str = "script URL string") -> None:
        for m in JS_URL.finditer(text):
            url = m.group(1)
            if NAMESPACE_URLS.match(url):
                continue
            if any(pattern.match(self.rel) and url.startswith(allowed) for pattern, allowed in JS_ALLOWED):
                continue
            self.add(
                where,
                url,
                "would be requested from outside the site",
                "bundle the file with the site and load it by a relative address",
            )


class _MarkupScanner(HTMLParser):
    """Walks HTML, SVG or XML markup and hands each reference to the checker."""

    def __init__(self, checker: _Checker, page: bool, clean: set[tuple] | None = None):
        super().__init__(convert_charrefs=True)
        self.clean = set() if clean is None else clean
        self.where = (posixpath.dirname(checker.rel), page, checker.site_url)
        self.c = checker
        self.page = page
        self.in_style = False
        self.script: str | None = None  # the type of the inline script being read
        self.has_csp = self.has_referrer = False

    def scan(self, text: str) -> None:
        _tokenize(self, text)
        # Redirect stubs and fragments without <head> are not pages a reader stays on.
        if self.page and "<head" in text.lower() and not (self.has_csp and self.has_referrer):
            self.c.add(
                "page",
                "",
                "lacks kbsite's Content-Security-Policy or referrer <meta>",
                'a custom overrides/main.html must {% extends "kb/base.html" %}',
            )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        what = lambda name: f"<{tag} {name}>"  # noqa: E731
        rel = a.get("rel", "").lower()
        for name, value in a.items():
            if name == "srcset" or name == "imagesrcset":
                self.c.srcset(what(name), value)
            elif name in LOAD_ATTRS or (name == "data" and tag == "object"):
                self.c.load(what(name), value)
            elif name == "href":
                if tag in ("a", "area") or (tag == "link" and rel and set(rel.split()) <= NAV_RELS):
                    self.c.link(what(name), value, rel)
                else:
                    self.c.load(what(name), value)
            elif name == "style":
                self.c.css(value, f"<{tag} style>")
                if self.page:
                    self.c.add(
                        f"<{tag} style>",
                        value[:60],
                        "is an inline style, which the page's Content-Security-Policy blocks",
                        "move it into a stylesheet",
                    )
            elif name.startswith("on") and self.page and len(name) > 2:
                self.c.add(
                    f"<{tag} {name}>",
                    value[:60],
                    "is an inline event handler, which the page's Content-Security-Policy blocks",
                    "move it into a script file",
                )
        if tag == "meta":
            equiv = a.get("http-equiv", "").lower()
            if equiv == "refresh":
                m = REFRESH_URL.search(a.get("content", ""))
                if m:
                    self.c.load("<meta refresh>", m.group(1))
            elif equiv == "content-security-policy" and a.get("content") == policy.META_CSP:
                self.has_csp = True
            elif a.get("name", "").lower() == "referrer" and a.get("content") == policy.REFERRER_POLICY:
                self.has_referrer = True
        elif tag == "style":
            self.in_style = True
        elif tag == "script" and "src" not in a:
            self.script = a.get("type", "").lower().strip()

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.in_style = False
        elif tag == "script":
            self.script = None

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.c.css(data, "<style>")
            if self.page and data.strip():
                self.c.add(
                    "<style>",
                    data.strip()[:60],
                    "is an inline style, which the page's Content-Security-Policy blocks",
                    "move it into a stylesheet",
                )
        elif self.script is not None:
            if self.script in EXECUTABLE_SCRIPT_TYPES:
                self.c.js(data, "inline <script> URL string")
                if self.page and data.strip():
                    self.c.add(
                        "<script>",
                        data.strip()[:60],
                        "is an inline script, which the page's Content-Security-Policy blocks",
                        "move it into a script file",
                    )

    def handle_pi(self, data: str) -> None:
        if data.lower().startswith("xml-stylesheet"):
            m = re.search(r"""href\s*=\s*["']([^"']*)""", data)
            if m:
                self.c.load("<?xml-stylesheet?>", m.group(1))


# A tokenizer for the scanner: html.parser's own regular expressions and rules for
# start tags, end tags, comments, declarations and script/style text, without its
# per-character bookkeeping (line numbers, character references in text the audit
# never reads). It was 60% of a 1,000-article build through HTMLParser.feed();
# tests check it sends the scanner the same events as HTMLParser on real pages.
_COMMENT_END = re.compile(r"--\s*>")
_STATEFUL = {"meta", "script", "style"}  # the scanner keeps state from these
_STATEFUL_TEXT = re.compile(r"<(?:meta|script|style)\b", re.I)


def _tokenize(scanner: HTMLParser, text: str) -> None:
    clean = getattr(scanner, "clean", None)  # a test's plain HTMLParser has no memory
    where = getattr(scanner, "where", None)
    i, n = 0, len(text)
    line: tuple[int, int, int] | None = None  # a line read from its start: start, end, findings
    while i < n:
        cdata = scanner.cdata_elem
        if cdata is None and clean is not None:
            # Whole lines (one navigation entry each) are remembered like tags: a
            # line read from its start, in no element's raw text, that ended where
            # the line ends with no finding and holds no <meta>, <script> or <style>.
            if text[i] == "\n":
                i += 1  # a line break between tags: text the audit does not read
            if line is not None and i >= line[1]:
                chunk = text[line[0] : line[1]]
                if (
                    i == line[1]
                    and len(chunk) < 400
                    and _found(scanner) == line[2]
                    and not _STATEFUL_TEXT.search(chunk)
                ):  # short lines repeat; prose does not
                    clean.add((where, chunk))
                line = None
            if line is None and i < n and (i == 0 or text[i - 1] == "\n"):
                e = text.find("\n", i)
                e = n if e < 0 else e + 1
                if (where, text[i:e]) in clean:
                    i = e
                    continue
                line = (i, e, _found(scanner))
            if i >= n:
                return
        if cdata is not None:  # inside <script> or <style>: raw text up to its end tag
            m = scanner.interesting.search(text, i)
            end = m.start() if m else n
            if end > i:
                scanner.handle_data(text[i:end])
            if not m:
                return
            scanner.handle_endtag(cdata)
            scanner.clear_cdata_mode()
            i = m.end()
            continue
        j = text.find("<", i)
        if j < 0:
            return
        if text.startswith("<!--", j):
            m = _COMMENT_END.search(text, j + 4)
            i = m.end() if m else n
        elif text.startswith("</", j):
            # Outside <script>/<style> an end tag changes nothing the audit reads.
            k = text.find(">", j + 2)
            i = k + 1 if k >= 0 else n
        elif text.startswith("<?", j):
            k = text.find(">", j + 2)
            if k < 0:
                return
            scanner.handle_pi(text[j + 2 : k])
            i = k + 1
        elif text.startswith("<![", j):
            k = text.find("]]>", j + 3)
            i = k + 3 if k >= 0 else n
        elif text.startswith("<!", j):
            k = text.find(">", j + 2)
            i = k + 1 if k >= 0 else n
        elif j + 1 < n and text[j + 1].isascii() and text[j + 1].isalpha():
            i = _start_tag(scanner, text, j)
        else:
            i = j + 1


def _found(scanner) -> int:
    """How many findings the audit's scanner has so far (a test's plain HTMLParser has none)."""
    return len(scanner.c.findings)


def _start_tag(scanner: HTMLParser, text: str, i: int) -> int:
    """html.parser's parse_starttag and check_for_whole_start_tag, on the whole text."""
    clean = getattr(scanner, "clean", None)  # a test's plain HTMLParser has no memory
    where = getattr(scanner, "where", None)
    gt = text.find(">", i)
    if clean is not None and gt >= 0 and (where, text[i : gt + 1]) in clean:
        # The same text up to this ">" parsed as one whole, clean tag before; the
        # parser's result depends only on it, so it is that tag again.
        return gt + 1
    m = hp.locatestarttagend_tolerant.match(text, i)  # type: ignore[attr-defined]  # private, stable since 3.x
    j = m.end() if m else i
    nxt = text[j : j + 1]
    if nxt == ">":
        endpos = j + 1
    elif nxt == "/" and text.startswith("/>", j):
        endpos = j + 2
    elif nxt == "" or nxt in "abcdefghijklmnopqrstuvwxyz=/ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        return len(text)  # cut off at the end of the input: HTMLParser reads it as text
    else:
        endpos = j if j > i else i + 1
    key = (where, text[i:endpos])
    match = hp.tagfind_tolerant.match(text, i + 1)  # type: ignore[attr-defined]  # private, stable since 3.x
    k = match.end()
    tag = match.group(1).lower()
    attrs: list[tuple[str, str | None]] = []
    while k < endpos:
        a = hp.attrfind_tolerant.match(text, k)  # type: ignore[attr-defined]  # private, stable since 3.x
        if not a:
            break
        name, rest, value = a.group(1, 2, 3)
        if not rest:
            value = None
        elif value[:1] == "'" == value[-1:] or value[:1] == '"' == value[-1:]:
            value = value[1:-1]
        if value:
            value = unescape(value)
        attrs.append((name.lower(), value))
        k = a.end()
    end = text[k:endpos].strip()
    if end not in (">", "/>"):
        return endpos  # not a tag after all: text, which the audit does not read
    found = _found(scanner) if clean is not None else 0
    if end.endswith("/>"):
        scanner.handle_startendtag(tag, attrs)
    else:
        scanner.handle_starttag(tag, attrs)
    if tag in scanner.CDATA_CONTENT_ELEMENTS:
        # Browsers ignore the "/" of <script/>: what follows is script text, so it is read
        # as such (HTMLParser hands it over as plain text, which the scanner read the same way).
        scanner.set_cdata_mode(tag)
    if clean is not None and tag not in _STATEFUL and _found(scanner) == found and endpos == gt + 1:
        clean.add(key)
    return endpos

    scanner.handle_endtag(m.group(1).lower())
    return gt + 1


def _locate(finding: Finding, source: Source, nth: int) -> Finding | None:
    """The finding at the `nth` line of `source` holding its URL (or the last such line)."""
    if not finding.url:
        return None
    found = [n for n, line in enumerate(source.text.splitlines(), start=1) if finding.url in line]
    if not found:
        return None
    fix = finding.fix
    if finding.what.split()[0].strip("<") in CONTENT_IMAGE_TAGS and finding.problem.startswith("loads"):
        fix = "download it into content/ (beside the article) and refer to it relatively"
    line = found[min(nth, len(found) - 1)]
    return Finding(finding.output, finding.what, finding.url, finding.problem, fix, source.path, line)


def check_config(config: Mapping) -> list[str]:
    """mkdocs.yml settings that would make pages load from elsewhere; each with its fix."""
    problems = []
    if config.get("repo_url"):
        problems.append("remove repo_url: Material would fetch repository facts from GitHub's API")
    plugins: Iterable[str] = config.get("plugins") or {}
    for name in ("material/offline", "offline", "material/privacy", "privacy"):
        if name in plugins:
            problems.append(
                f"remove the '{name}' plugin: it adds scripts from unpkg.com; "
                "kbsite makes the site offline by itself"
            )
    return problems
