"""`kbsite new`: an article skeleton with every section and table kind stubbed."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import yaml

from .errors import ContentErrors
from .load import ID_RE, load_categories, load_table_kinds
from .model import slugify


def write_skeleton(content: Path, title: str, category_id: str) -> Path:
    errors: list = []
    categories = {c.id: c for c in load_categories(content, errors)}
    kinds = load_table_kinds(content, errors)
    if errors:
        raise ValueError(ContentErrors(errors).format())
    if category_id not in categories:
        raise ValueError(f"unknown category '{category_id}'; use one of: {', '.join(categories)}")
    slug = slugify(title)
    if not slug:
        raise ValueError("the title needs at least one letter or digit")
    if not ID_RE.match(slug):  # article file names are Latin letters, digits and hyphens
        raise ValueError(
            f"the title gives the file name '{slug}.md'; give a title in Latin letters, "
            "then change the title inside the new file"
        )
    path = content / category_id / f"{slug}.md"
    if path.exists():
        raise ValueError(f"{path} already exists; kbsite new never overwrites an article")
    today = dt.date.fromtimestamp(
        int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or dt.datetime.now().timestamp()
    )
    tables = {
        kind.id: {"kind": kind.id, "rows": [{c.key: f"TODO {c.label.lower()}" for c in kind.columns}]}
        for kind in kinds.values()
    }
    front = {
        "title": title,
        "summary": "TODO one sentence shown in listings.",
        "tags": [],
        "updated": today,
        "tools": [],
        "related": [],
        "tables": tables,
    }
    sections = "\n".join(
        f"## TODO {kind.caption}\n\nTODO prose.\n\n{{{{ table: {kind.id} }}}}\n" for kind in kinds.values()
    )
    body = f"TODO introduction: what this is and why it matters.\n\n{sections}\n## Summary\n\nTODO summary.\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as f:
        f.write("---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n\n" + body)
    return path
