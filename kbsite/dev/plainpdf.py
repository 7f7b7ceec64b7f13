"""The bench's reference for the handbook: the same book HTML, laid out once and written once
by WeasyPrint in one process, with no page-number work (so its references print no pages).

    python -m kbsite.dev.plainpdf SITE_ROOT OUT.json
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    from mkdocs.config import load_config

    from ..outputs.handbook import config_html
    from ..outputs.weasy import paused_gc, render

    root, out = Path(argv[0]), Path(argv[1]).resolve()
    os.chdir(root)
    config = load_config("mkdocs.yml")
    config = config.plugins.on_config(config)
    plugin: Any = config.plugins["kbsite"]
    start = time.perf_counter()
    loader = config.theme.get_env().loader
    assert loader is not None
    html = config_html(plugin.kb, config, loader, plugin.config.glossary_links)
    book_s = time.perf_counter() - start
    start = time.perf_counter()
    document = render(html, Path(config.docs_dir))
    layout_s = time.perf_counter() - start
    start = time.perf_counter()
    with paused_gc():
        pdf = document.write_pdf(pdf_identifier=True)
    write_s = time.perf_counter() - start
    out.write_text(
        json.dumps(
            {
                "book_html_s": round(book_s, 2),
                "layout_s": round(layout_s, 1),
                "write_s": round(write_s, 1),
                "pages": len(document.pages),
                "pdf_mb": round(len(pdf) / 2**20, 2),
            }
        ),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
