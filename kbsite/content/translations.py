"""Translations: read beside their originals, checked against them, and counted.

An article's translation is `<category>/<slug>.<lang>.md`. It gives what a reader
reads in its language: `title`, `summary`, the body, each table's rows (the same
table names as the original), each tool's `why`, and `translates:`, the original's
`updated` date it was made from. Category, tags, related articles and tool ids
come from the original.

A data file's translation is `_data/<file>.<lang>.yml`: a list of entries, each
naming the entry it translates (`id:`, or `term:` in the glossary) and giving only
the fields a reader reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import yamlsrc
from .errors import ContentError
from .languages import split_suffix
from .model import Article, KnowledgeBase, ToolCitation

if TYPE_CHECKING:
    from .load import _ArticleReader

ARTICLE_KEYS = {"title", "summary", "tags", "tools", "tables", "translates", "sort_as"}
# data file -> (the key naming the entry, the fields a translation may give)
# Fields shown as page titles and navigation entries: no markup (kbsite.content.load.MARKUP_RE).
PLAIN_FIELDS = {"title", "description", "name", "kind", "translation"}
DATA = {
    "categories": ("id", {"title", "description"}),
    "tools": ("id", {"name", "kind", "description"}),
    "glossary": ("term", {"translation", "aliases", "definition"}),
    "table_kinds": ("id", {"caption", "columns"}),
}


def undeclared(rel: str, code: str, declared: list[str]) -> ContentError:
    others = ", ".join(declared) or "none yet"
    return ContentError(
        rel,
        f"'.{code}' is not a declared language (declared: {others})",
        f"add `{code}` under `languages:` in the kbsite plugin's options in mkdocs.yml, or rename the file",
        1,
    )


def read_article(
    reader: _ArticleReader, path: Path, rel: str, original: Article, lang: str
) -> Article | None:
    """The translation in `path` of `original`, or None after reporting what is wrong."""
    from .load import _declared_tables

    found = reader.front_matter(path, rel, "the fields", "the README's translation section")
    if found is None:
        return None
    meta, report, body, body_line = found
    for key in sorted(set(meta) - ARTICLE_KEYS):
        hint = "it comes from the original" if key in ("related", "updated") else ""
        report.error(
            f"unknown field '{key}' in a translation",
            hint or f"use only: {', '.join(sorted(ARTICLE_KEYS))}",
            (key,),
        )
    title = report.text(meta, "title", (), plain=True)
    summary = report.text(meta, "summary", (), plain=True)
    sort_as = report.text(meta, "sort_as", (), required=False) or ""
    translates = _translates(report, meta.get("translates"), original)
    tables = reader._tables(report, meta.get("tables") or {})
    declared = _declared_tables(report)
    if missing := sorted(set(original.tables) - declared):
        report.error(
            f"table(s) {', '.join(missing)} of the original are not translated",
            f"give the same tables as {original.src_uri}: {', '.join(sorted(original.tables))}",
            ("tables",) if "tables" in meta else (),
            line=None if "tables" in meta else 2,
        )
    for name in sorted(declared - set(original.tables)):
        report.error(
            f"table '{name}' is not in the original",
            f"use the original's table names: {', '.join(sorted(original.tables)) or 'none'}",
            ("tables", name),
        )
    for name, table in tables.items():
        if name in original.tables and table.kind is not original.tables[name].kind:
            report.error(
                f"table '{name}' has kind '{table.kind.id}', the original '{original.tables[name].kind.id}'",
                f"write `kind: {original.tables[name].kind.id}`",
                ("tables", name, "kind"),
            )
    reader._markers(report, body, body_line, tables)
    tools = _tools(report, meta.get("tools"), original)
    if not (title and summary and translates):
        return None
    return dataclasses.replace(
        original,
        title=title,
        summary=summary,
        body=body,
        body_line=body_line,
        tools=tools,
        tables=tables,
        lang=lang,
        original=original,
        translates=translates,
        sort_as=sort_as,
    )


def _translates(report, value: Any, original: Article) -> dt.date | None:
    day = yamlsrc.as_date(value)
    if day is None:
        what = "missing 'translates'" if value is None else f"{value!r} is not a valid date"
        report.error(
            what,
            f"write the original's `updated` date this translation matches: `translates: {original.updated}`",
            ("translates",) if value is not None else (),
            line=None if value is not None else 2,
        )
        return None
    if day > original.updated:
        report.error(
            f"translates {day}, after the original's last update ({original.updated})",
            f"write `translates: {original.updated}` if it matches the original as it is now",
            ("translates",),
        )
        return None
    return day


def _tools(report, items: Any, original: Article) -> tuple[ToolCitation, ...]:
    """The original's tools in its order, each with the translated `why` where given."""
    if items is None:
        return original.tools
    ids = [c.tool.id for c in original.tools]
    if not isinstance(items, list):
        report.error("'tools' must be a list", "write `- id: tool-id` and `why: ...` pairs", ("tools",))
        return original.tools
    why: dict[str, str] = {}
    for i, item in enumerate(items):
        at = ("tools", i)
        tid = item.get("id") if isinstance(item, dict) else None
        text = report.text(item, "why", at) if isinstance(item, dict) else None
        if tid not in ids:
            report.error(
                f"tool {tid!r} is not cited by the original",
                f"translate only the original's tools: {', '.join(ids) or 'none'}",
                at + ("id",) if isinstance(item, dict) else at,
            )
        elif text:
            why[tid] = text
    return tuple(ToolCitation(c.tool, why.get(c.tool.id, c.why)) for c in original.tools)


def load_articles(
    reader: _ArticleReader, kb: KnowledgeBase, pending: list[tuple[Path, str, str]], declared: list[str]
) -> None:
    """Read each `<slug>.<lang>.md` in `pending` into kb.translations."""
    originals = kb.by_src_uri()
    for path, rel, code in pending:
        if code not in declared:
            reader.errors.append(undeclared(rel, code, declared))
            continue
        slug = split_suffix(path.stem)[0]
        original = originals.get(f"{rel.split('/')[0]}/{slug}.md")
        if original is None:
            reader.errors.append(
                ContentError(
                    rel,
                    f"no original '{rel.split('/')[0]}/{slug}.md' for this translation",
                    "name the file after its original (same folder, same slug) plus the language",
                    1,
                )
            )
            continue
        translation = read_article(reader, path, rel, original, code)
        if translation is not None:
            kb.translations.setdefault(code, {})[original.src_uri] = translation


def load_data(content: Path, kb: KnowledgeBase, declared: list[str], errors: list[ContentError]) -> None:
    """Read every `_data/<file>.<lang>.yml` into kb.data_translations, checked against the originals."""
    from .load import DATA_DIR, _load_yaml, _Report

    known = {
        "categories": {c.id for c in kb.categories},
        "tools": set(kb.tools),
        "glossary": {g.term for g in kb.glossary},
        "table_kinds": set(kb.table_kinds),
    }
    for path in sorted((content / DATA_DIR).glob("*.*.yml")):
        rel = f"{DATA_DIR}/{path.name}"
        name, code = split_suffix(path.name.removesuffix(".yml"))
        if code is None or name not in DATA:
            continue
        if code not in declared:
            errors.append(undeclared(rel, code, declared))
            continue
        data, lines = _load_yaml(path, rel, errors)
        report = _Report(errors, rel, lines)
        key, fields = DATA[name]
        out: dict[str, dict[str, Any]] = {}
        for i, entry in enumerate(report.mapping_list(data, "entry") if data is not None else []):
            ident = entry.get(key)
            if ident not in known[name]:
                report.error(
                    f"{key} {ident!r} is not in {DATA_DIR}/{name}.yml",
                    f"translate an existing entry; its `{key}:` is the original's",
                    (i, key) if key in entry else (i,),
                )
                continue
            for field in sorted(set(entry) - fields - {key}):
                report.error(
                    f"unknown field '{field}'",
                    f"a translation gives only: {', '.join(sorted(fields))}",
                    (i, field),
                )
            values = {f: entry[f] for f in fields if f in entry}
            if _data_values_ok(report, name, values, kb, ident, i):
                out[ident] = values
        kb.data_translations.setdefault(code, {})[name] = out


def _data_values_ok(report, name: str, values: dict[str, Any], kb: KnowledgeBase, ident: str, i: int) -> bool:
    from .load import MARKUP_RE

    ok = True
    for field, value in values.items():
        if field == "aliases":
            good = isinstance(value, list) and all(isinstance(a, str) and a.strip() for a in value)
            hint = "write e.g. `aliases: [word, other word]`"
        elif field == "columns":
            keys = [c.key for c in kb.table_kinds[ident].columns]
            good = (
                isinstance(value, list)
                and all(isinstance(c, dict) and isinstance(c.get("label"), str) for c in value)
                and [c.get("key") for c in value] == keys
            )
            hint = f"give `{{key, label}}` for the keys {', '.join(keys)}, in that order"
        else:
            good = isinstance(value, str) and bool(value.strip())
            hint = f"write `{field}: ...` as plain text"
            if good and field in PLAIN_FIELDS and (markup := MARKUP_RE.search(value)):
                good, hint = False, f"it holds HTML markup ({markup.group(0)!r}): write plain text"
        if not good:
            report.error(f"'{field}' is not valid here", hint, (i, field))
            ok = False
    return ok


@dataclass(frozen=True)
class Coverage:
    """How far one language has come: what a translator sees in `kbsite check`."""

    lang: str
    translated: tuple[Article, ...]
    outdated: tuple[Article, ...]
    missing: tuple[Article, ...]


def coverage(kb: KnowledgeBase) -> list[Coverage]:
    out = []
    for language in kb.languages[1:]:
        have = kb.translations.get(language.code, {})
        done = tuple(have[a.src_uri] for a in kb.articles if a.src_uri in have)
        out.append(
            Coverage(
                language.code,
                done,
                tuple(t for t in done if t.outdated),
                tuple(a for a in kb.articles if a.src_uri not in have),
            )
        )
    return out
