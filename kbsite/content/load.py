"""Read `content/` into a KnowledgeBase, collecting every error before failing."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import onion, translations, tree, yamlsrc
from .errors import ContentError, ContentErrors
from .languages import Language, split_suffix
from .model import (
    Article,
    Category,
    Column,
    GlossaryTerm,
    KnowledgeBase,
    Table,
    TableKind,
    Tool,
    ToolCitation,
    resolve_related,
    slugify,
    sort_entries,
    unencrypted,
)

DATA_DIR = "_data"
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MARKER_RE = re.compile(r"^[ \t]*\{\{[ \t]*table:[ \t]*([^}\s]*)[ \t]*\}\}[ \t]*$")
LOOSE_MARKER_RE = re.compile(r"\{\{\s*table\b")
ARTICLE_KEYS = {"title", "summary", "tags", "updated", "reviewed", "tools", "related", "tables"}
# Paths the generator writes itself; content may not take them.
RESERVED_PAGES = {
    "index.md",
    "a-z.md",
    "glossary.md",
    "misunderstandings.md",
    "checklists.md",
    "search.md",
    "subjects.md",
}
RESERVED_FOLDERS = {"tools", "downloads", "assets", "search", DATA_DIR}
# Titles, names and summaries are plain text: MkDocs and Material write page titles and
# navigation entries unescaped (and `striptags` turns &lt; back into <), so markup is refused.
MARKUP_RE = re.compile(r"<[A-Za-z/!?]|&(?:#[0-9]+|#x[0-9a-f]+|[a-z][a-z0-9]*);", re.I)
BOM = "\ufeff"


class _Report:
    """Collects errors for one file, resolving field paths to lines."""

    def __init__(
        self,
        errors: list[ContentError],
        path: str,
        lines: dict | None = None,
        warnings: list[ContentError] | None = None,
    ):
        self.errors, self.path, self.lines = errors, path, lines or {}
        self.warnings = warnings if warnings is not None else []

    def error(self, message: str, hint: str = "", at: tuple = (), line: int | None = None) -> None:
        self.errors.append(self._at(message, hint, at, line))

    def warning(self, message: str, hint: str = "", at: tuple = ()) -> None:
        self.warnings.append(self._at(message, hint, at, None))

    def _at(self, message: str, hint: str, at: tuple, line: int | None) -> ContentError:
        if line is None and at:
            line = yamlsrc.line_of(self.lines, at)
        field = yamlsrc.field_name(at) if at else None
        return ContentError(self.path, message, hint, line, field)

    def text(self, data: dict, key: str, at: tuple, required: bool = True, plain: bool = False) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(f"missing '{key}'", f"add `{key}: ...` with a short plain text", at or (key,))
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.error(
                f"'{key}' must be text, not {type(value).__name__}",
                "write plain text (quote it if needed)",
                at + (key,),
            )
            return None
        if plain and (markup := MARKUP_RE.search(value)):
            self.error(
                f"'{key}' holds HTML markup ({markup.group(0)!r})",
                "write plain text without HTML tags or &entities; (it is shown as text everywhere)",
                at + (key,),
            )
            return None
        return value.strip()

    def mapping_list(self, data: Any, what: str) -> list[dict]:
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            self.error(
                f"must be a list of {what} entries", f"write `- key: value` blocks, one per {what}", line=1
            )
            return []
        return data


def read_text(path: Path, rel: str, errors: list[ContentError]) -> str | None:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8").removeprefix(BOM)  # editors on Windows may add one
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        errors.append(
            ContentError(rel, f"not valid UTF-8 (byte {exc.start})", "save the file as UTF-8", line)
        )
        return None


def _load_yaml(path: Path, rel: str, errors: list[ContentError]) -> tuple[Any, dict]:
    if not path.is_file():
        errors.append(
            ContentError(rel, "file is missing", f"create {rel} (see the README's authoring guide)")
        )
        return None, {}
    text = read_text(path, rel, errors)
    if text is None:
        return None, {}
    try:
        return yamlsrc.load(text)
    except yamlsrc.YamlSyntaxError as exc:
        errors.append(ContentError(rel, str(exc), exc.hint, exc.line))
        return None, {}


def _check_id(report: _Report, value: Any, at: tuple, seen: set, what: str) -> str | None:
    if not isinstance(value, str) or not ID_RE.match(value):
        report.error(
            f"invalid {what} id {value!r}", "use lowercase letters, digits and hyphens, e.g. `my-tool`", at
        )
        return None
    if value in seen:
        report.error(f"duplicate {what} id '{value}'", f"give each {what} its own id", at)
        return None
    seen.add(value)
    return value


def _web_url(value: str, onion: bool = False) -> bool:
    parts = urlsplit(value)
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and bool(host) and (host.endswith(".onion") or not onion)


def load_categories(content: Path, errors: list[ContentError]) -> list[Category]:
    rel = f"{DATA_DIR}/categories.yml"
    data, lines = _load_yaml(content / rel, rel, errors)
    report, out = _Report(errors, rel, lines), []
    seen: set[str] = set()
    for i, d in enumerate(report.mapping_list(data, "category") if data is not None else []):
        cid = _check_id(report, d.get("id"), (i, "id"), seen, "category")
        if cid in RESERVED_FOLDERS:
            report.error(f"category id '{cid}' is reserved", "choose another id", (i, "id"))
            cid = None
        title = report.text(d, "title", (i,), plain=True)
        desc = report.text(d, "description", (i,), plain=True)
        order = d.get("order", i)
        if not isinstance(order, int):
            report.error("'order' must be a whole number", "write e.g. `order: 10`", (i, "order"))
            order = i
        if cid and title and desc:
            out.append(Category(cid, title, desc, order))
    return sorted(out, key=lambda c: (c.order, c.id))


def load_tools(
    content: Path, errors: list[ContentError], broken: set[str], warnings: list[ContentError] | None = None
) -> dict[str, Tool]:
    rel = f"{DATA_DIR}/tools.yml"
    data, lines = _load_yaml(content / rel, rel, errors)
    report, out = _Report(errors, rel, lines, warnings), {}
    seen: set[str] = set()
    for i, d in enumerate(report.mapping_list(data, "tool") if data is not None else []):
        tid = _check_id(report, d.get("id"), (i, "id"), seen, "tool")
        name, kind = report.text(d, "name", (i,), plain=True), report.text(d, "kind", (i,), plain=True)
        url, desc = report.text(d, "url", (i,)), report.text(d, "description", (i,))
        if url and not _web_url(url):
            report.error(
                f"url {url!r} is not an http(s) address",
                "write the full address, e.g. `https://example.org/`",
                (i, "url"),
            )
            url = None
        elif url and unencrypted(url):
            report.warning(
                f"url {url!r} is not encrypted (http://)",
                f"write `{'https' + url[4:]}` if the site offers it (readers see the link marked unencrypted)",
                (i, "url"),
            )
        address = report.text(d, "onion", (i,), required=False)
        if address and (problem := onion.url_problem(address)):
            report.error(
                f"onion {address!r} {problem}",
                "copy the v3 address (56 characters before .onion) from the project's own site, "
                "e.g. `http://<56 characters>.onion/`, or remove it",
                (i, "onion"),
            )
            address = None
        if tid and name and kind and url and desc:
            out[tid] = Tool(tid, name, kind, url, desc, address)
        elif tid:
            broken.add(tid)  # reported here; citing articles need not repeat it
    return out


def load_glossary(content: Path, errors: list[ContentError]) -> list[GlossaryTerm]:
    rel = f"{DATA_DIR}/glossary.yml"
    data, lines = _load_yaml(content / rel, rel, errors)
    report, out = _Report(errors, rel, lines), []
    seen: set[str] = set()
    for i, d in enumerate(report.mapping_list(data, "glossary") if data is not None else []):
        term, definition = report.text(d, "term", (i,), plain=True), report.text(d, "definition", (i,))
        aliases = d.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            report.error(
                "'aliases' must be a list of words",
                "write e.g. `aliases: [operational security]`",
                (i, "aliases"),
            )
            aliases = []
        for word in [term, *aliases] if term else []:
            if word.lower() in seen:
                report.error(f"'{word}' is defined twice", "keep one entry per term or alias", (i,))
            seen.add(word.lower())
        if term and definition:
            out.append(GlossaryTerm(term, definition, tuple(a.strip() for a in aliases)))
    return out


def load_table_kinds(content: Path, errors: list[ContentError]) -> dict[str, TableKind]:
    rel = f"{DATA_DIR}/table_kinds.yml"
    data, lines = _load_yaml(content / rel, rel, errors)
    report, out = _Report(errors, rel, lines), {}
    seen: set[str] = set()
    for i, d in enumerate(report.mapping_list(data, "table kind") if data is not None else []):
        kid = _check_id(report, d.get("id"), (i, "id"), seen, "table kind")
        caption = report.text(d, "caption", (i,))
        cols = d.get("columns")
        good = (
            isinstance(cols, list)
            and cols
            and all(
                isinstance(c, dict) and isinstance(c.get("key"), str) and isinstance(c.get("label"), str)
                for c in cols
            )
        )
        if not good:
            report.error(
                "'columns' must list `{key, label}` pairs",
                "write e.g. `- {key: item, label: Check item}`",
                (i, "columns"),
            )
        elif kid and caption and isinstance(cols, list):
            out[kid] = TableKind(kid, caption, tuple(Column(c["key"], c["label"]) for c in cols))
    return out


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Return (front matter, body, body's first line) or None without front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for n, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:n]), "".join(lines[n + 1 :]), n + 2
    return None


class _ArticleReader:
    def __init__(self, kb: KnowledgeBase, errors: list[ContentError], broken_tools: set[str]):
        self.kb, self.errors, self.broken_tools = kb, errors, broken_tools
        self.related_lines: dict[str, list[tuple[int, int | None]]] = {}  # checked once all slugs are known
        self.latest = latest_date()

    def front_matter(
        self, path: Path, rel: str, fields: str, reference: str
    ) -> tuple[dict[str, Any], _Report, str, int] | None:
        """The front matter of the Markdown file `path` as fields, a report on their lines, the
        body and its first line; None once what is wrong is reported. `fields` and `reference`
        are the hints' words for an article or a translation."""
        errors = self.errors
        text = read_text(path, rel, errors)
        if text is None:
            return None
        parts = split_front_matter(text)
        if parts is None:
            errors.append(
                ContentError(rel, "no front matter", f"start the file with `---`, {fields}, and `---`", 1)
            )
            return None
        front, body, body_line = parts
        try:
            meta, lines = yamlsrc.load(front, first_line=2)
        except yamlsrc.YamlSyntaxError as exc:
            errors.append(ContentError(rel, str(exc), exc.hint, exc.line))
            return None
        report = _Report(errors, rel, lines, self.kb.warnings)
        if not isinstance(meta, dict):
            report.error("front matter must be `key: value` fields", f"see {reference}", line=2)
            return None
        return meta, report, body, body_line

    def read(self, path: Path, rel: str, category: Category) -> Article | None:
        found = self.front_matter(
            path, rel, "the fields (title, summary, ...)", "the README's front matter reference"
        )
        if found is None:
            return None
        meta, report, body, body_line = found
        for key in sorted(set(meta) - ARTICLE_KEYS):
            report.error(f"unknown field '{key}'", f"use only: {', '.join(sorted(ARTICLE_KEYS))}", (key,))
        slug = path.stem
        if not ID_RE.match(slug):
            report.error(
                f"file name '{path.name}' is not a valid slug",
                f"rename it to `{slugify(slug) or 'article'}.md`",
                line=1,
            )
        title = report.text(meta, "title", (), plain=True)
        summary = report.text(meta, "summary", (), plain=True)
        updated = self._date(report, meta.get("updated"))
        reviewed = self._date(report, meta["reviewed"], "reviewed") if "reviewed" in meta else None
        tags = meta.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            report.error("'tags' must be a list of words", "write e.g. `tags: [tor, browser]`", ("tags",))
            tags = []
        tools = self._tools(report, meta.get("tools") or [])
        related = meta.get("related") or []
        if not isinstance(related, list) or not all(isinstance(s, str) for s in related):
            report.error(
                "'related' must be a list of article slugs",
                "write e.g. `related: [what-is-tails]`",
                ("related",),
            )
            related = []
        related = self._related(report, slug, related)
        self.related_lines[rel] = [(i, line) for i, line, _ in related]
        tables = self._tables(report, meta.get("tables") or {})
        self._markers(report, body, body_line, tables)
        if not (title and summary and updated):
            return None
        return Article(
            slug,
            category,
            title,
            summary,
            tuple(tags),
            updated,
            body,
            body_line,
            tools,
            tuple(s for _, _, s in related),
            tables,
            reviewed=reviewed,
        )

    def _related(self, report: _Report, slug: str, related: list[str]) -> list[tuple[int, int | None, str]]:
        """(index, line, slug) of each related article, without the article itself and repeats."""
        out: list[tuple[int, int | None, str]] = []
        for i, other in enumerate(related):
            if other == slug or other in (s for _, _, s in out):
                what = "the article itself" if other == slug else f"'{other}' a second time"
                report.warning(f"lists {what}; ignored", f"remove `{other}` from the list", ("related", i))
            else:
                out.append((i, yamlsrc.line_of(report.lines, ("related", i)), other))
        return out

    def _date(self, report: _Report, value: Any, key: str = "updated") -> dt.date | None:
        if (day := yamlsrc.as_date(value)) is not None:
            if day > self.latest:
                # It would date the whole edition: the PDF, the sitemap and the bundle's name.
                what = "change" if key == "updated" else "review"
                report.error(
                    f"date {day.isoformat()} is in the future",
                    f"write the date of the last real {what} (on or before {self.latest.isoformat()})",
                    (key,),
                )
                return None
            return day
        if value is None:
            report.error(f"missing '{key}'", f"add `{key}: YYYY-MM-DD`", (key,))
        else:
            report.error(
                f"{value!r} is not a valid date",
                "write a real date as `YYYY-MM-DD`, e.g. `2026-03-31`",
                (key,),
            )
        return None

    def _tools(self, report: _Report, items: Any) -> tuple[ToolCitation, ...]:
        if not isinstance(items, list):
            report.error("'tools' must be a list", "write `- id: tool-id` and `why: ...` pairs", ("tools",))
            return ()
        out = []
        for i, item in enumerate(items):
            at = ("tools", i)
            if not isinstance(item, dict):
                report.error("each tool needs `id` and `why`", "write `- id: tails` then `why: ...`", at)
                continue
            tid, why = report.text(item, "id", at), report.text(item, "why", at)
            if tid in self.broken_tools:
                continue
            if tid and tid not in self.kb.tools:
                known = ", ".join(sorted(self.kb.tools)) or "none yet"
                report.error(
                    f"unknown tool id '{tid}'",
                    f"use an id from _data/tools.yml ({known}) or add the tool there",
                    at + ("id",),
                )
            elif tid and why:
                out.append(ToolCitation(self.kb.tools[tid], why))
        return tuple(out)

    def _tables(self, report: _Report, items: Any) -> dict[str, Table]:
        if not isinstance(items, dict):
            report.error(
                "'tables' must map table names to tables",
                "write `tables:` then `name: {kind: ..., rows: [...]}`",
                ("tables",),
            )
            return {}
        out = {}
        for name, spec in items.items():
            at = ("tables", name)
            if not isinstance(spec, dict):
                report.error(
                    "a table needs `kind` and `rows`", "write `kind: features` and `rows:` under the name", at
                )
                continue
            kind = self.kb.table_kinds.get(str(spec.get("kind")))
            if kind is None:
                known = ", ".join(sorted(self.kb.table_kinds))
                report.error(
                    f"unknown table kind {spec.get('kind')!r}", f"use one of: {known}", at + ("kind",)
                )
                continue
            rows = spec.get("rows")
            if not isinstance(rows, list) or not rows:
                report.error(
                    "table has no rows",
                    "add at least one row under `rows:`, or remove the table and its marker",
                    at + ("rows",),
                )
                continue
            good_rows = [r for i, r in enumerate(rows) if self._row(report, kind, r, at + ("rows", i))]
            caption = report.text(spec, "caption", at, required=False) or kind.caption
            if len(good_rows) == len(rows):
                out[str(name)] = Table(str(name), kind, caption, tuple(good_rows))
        return out

    def _row(self, report: _Report, kind: TableKind, row: Any, at: tuple) -> bool:
        keys = [c.key for c in kind.columns]
        if not isinstance(row, dict):
            report.error(
                "a row must give each column as `key: text`",
                f"write `- {keys[0]}: ...` with keys {', '.join(keys)}",
                at,
            )
            return False
        ok = True
        for key in row:
            if key not in keys:
                report.error(
                    f"unknown column '{key}' for kind '{kind.id}'",
                    f"use only: {', '.join(keys)}",
                    at + (key,),
                )
                ok = False
        for key in keys:
            value = row.get(key)
            if key in row and isinstance(value, (int, float)) and not isinstance(value, bool):
                row[key] = value = str(value)
            if not isinstance(value, str) or not value.strip():
                what = "missing" if key not in row else "empty or not text"
                report.error(
                    f"column '{key}' is {what}",
                    f"give every row `{key}: ...` (plain text)",
                    at + ((key,) if key in row else ()),
                )
                ok = False
        return ok

    def _markers(self, report: _Report, body: str, body_line: int, tables: dict[str, Table]) -> None:
        placed: dict[str, int] = {}
        for n, line in enumerate(body.splitlines()):
            match = MARKER_RE.match(line)
            if match:
                name = match.group(1)
                if name in placed:
                    report.error(
                        f"table '{name}' is placed twice",
                        "keep one `{{ table: " + name + " }}` line",
                        line=body_line + n,
                    )
                elif name not in tables and name not in _declared_tables(report):
                    report.error(
                        f"marker names table '{name}' but no such table has data",
                        f"add `{name}:` under `tables:` or remove the marker",
                        line=body_line + n,
                    )
                placed[name] = body_line + n
            elif LOOSE_MARKER_RE.search(line):
                report.error(
                    "malformed table marker",
                    "write the marker alone on its line: `{{ table: NAME }}`",
                    line=body_line + n,
                )
        for name in tables:
            if name not in placed:
                report.error(
                    f"table '{name}' is never placed",
                    f"add a line `{{{{ table: {name} }}}}` where it belongs in the text",
                    ("tables", name),
                )


def latest_date() -> dt.date:
    """The latest `updated:` date accepted: tomorrow in UTC (an editor east of UTC may
    already be there), or SOURCE_DATE_EPOCH's date when a rebuild is dated later."""
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return max(tomorrow, dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date())
    return tomorrow


def _declared_tables(report: _Report) -> set[str]:
    """Names under `tables:`, valid or not (invalid ones are reported already)."""
    return {str(path[1]) for path in report.lines if len(path) == 2 and path[0] == "tables"}


_last: tuple[tuple, KnowledgeBase] | None = None


def _fingerprint(content: Path, site_name: str, languages: tuple[Language, ...], files: list[Path]) -> tuple:
    return (
        str(content.resolve()),
        site_name,
        languages,
        tuple((p.as_posix(), p.stat().st_mtime_ns, p.stat().st_size) for p in files),
    )


def load(content: Path, site_name: str = "", languages: tuple[Language, ...] = ()) -> KnowledgeBase:
    """Load and validate `content`; raise ContentErrors listing every problem.

    `kbsite build` checks the content, then MkDocs' plugin loads it again: the
    second call returns the same model while no file under `content` changed.
    """
    global _last
    content = Path(content)
    files, link_errors = tree.content_files(content)
    if link_errors:  # before reading anything through them
        raise ContentErrors(link_errors)
    key = _fingerprint(content, site_name, languages, files)
    if _last is not None and _last[0] == key:
        return _last[1]
    kb = _load(content, site_name, languages, files)
    _last = (key, kb)
    return kb


def _load(content: Path, site_name: str, languages: tuple[Language, ...], files: list[Path]) -> KnowledgeBase:
    errors: list[ContentError] = []
    warnings: list[ContentError] = []
    broken_tools: set[str] = set()
    kb = KnowledgeBase(
        site_name=site_name,
        categories=load_categories(content, errors),
        tools=load_tools(content, errors, broken_tools, warnings),
        glossary=load_glossary(content, errors),
        table_kinds=load_table_kinds(content, errors),
        articles=[],
        warnings=warnings,
        languages=languages,
    )
    categories = {c.id: c for c in kb.categories}
    reader = _ArticleReader(kb, errors, broken_tools)
    first_file: dict[str, str] = {}
    attempted: set[str] = set()
    pending: list[tuple[Path, str, str]] = []  # translations, read once their originals are
    for path in (p for p in files if p.suffix == ".md"):
        rel = path.relative_to(content).as_posix()
        parts = rel.split("/")
        if parts[0].startswith((".", "_")):
            continue
        if len(parts) == 1:
            if rel in RESERVED_PAGES:
                errors.append(
                    ContentError(
                        rel,
                        f"'{rel}' is generated by kbsite",
                        "rename the file; kbsite writes this page itself",
                        1,
                    )
                )
            continue
        code = split_suffix(path.stem)[1]
        if code is not None and parts[0] in categories and len(parts) == 2:
            pending.append((path, rel, code))
            continue
        category = categories.get(parts[0])
        if category is None or len(parts) > 2:
            known = ", ".join(categories) or "none"
            errors.append(
                ContentError(
                    rel,
                    f"'{parts[0]}/' is not a category folder"
                    if category is None
                    else "articles sit directly in a category folder",
                    f"move it to content/<category>/ (categories: {known}) or add the category to _data/categories.yml",
                    1,
                )
            )
            continue
        article = reader.read(path, rel, category)
        attempted.add(path.stem)  # a broken article is reported once, not by each citing one
        if article is None:
            continue
        if article.slug in first_file:
            errors.append(
                ContentError(
                    rel,
                    f"slug '{article.slug}' is already used by {first_file[article.slug]}",
                    "rename one of the files; slugs are unique across categories",
                    1,
                )
            )
            continue
        first_file[article.slug] = rel
        kb.articles.append(article)
    declared = [lang.code for lang in languages[1:]]
    translations.load_articles(reader, kb, pending, declared)
    translations.load_data(content, kb, declared, errors)
    slugs = {a.slug for a in kb.articles}
    for article in kb.articles:
        for slug, (i, line) in zip(article.related_slugs, reader.related_lines[article.src_uri], strict=True):
            if slug not in slugs and slug not in attempted:
                errors.append(
                    ContentError(
                        article.src_uri,
                        f"unknown related slug '{slug}'",
                        "use the file name (without .md) of an existing article",
                        line,
                        f"related[{i}]",
                    )
                )
    if errors:
        raise ContentErrors(errors)
    sort_entries(kb)  # and the tools and glossary
    resolve_related(kb)
    return kb
