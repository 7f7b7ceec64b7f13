"""Output that does not depend on the machine, folder, clock or umask of the build."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from mkdocs.utils import get_build_timestamp

from ..content import freshness
from ..content.model import KnowledgeBase

DIR_MODE, FILE_MODE = 0o755, 0o644


# The date of a knowledge base without dated articles (the earliest a zip file can hold).
FIXED_DATE = dt.date(1980, 1, 1)


def default_source_date_epoch(kb: KnowledgeBase) -> str | None:
    """Without SOURCE_DATE_EPOCH, date the build by its newest article.

    MkDocs, the sitemap's gzip header and the bundle read the build time from
    SOURCE_DATE_EPOCH; the newest `updated:` date keeps two builds of the same
    content identical without the builder having to know the variable. With no
    dated article, a fixed date does, and the returned note says so.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        return None
    edition = kb.edition_date()
    midnight = dt.datetime.combine(edition or FIXED_DATE, dt.time(), tzinfo=dt.UTC)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(midnight.timestamp()))
    os.environ[freshness.EPOCH_FROM_CONTENT] = "1"  # reviews still fall due on the real date
    if edition is None:
        return (
            f"kbsite: no article has an `updated:` date, so the build is dated {FIXED_DATE.isoformat()} "
            "(set SOURCE_DATE_EPOCH to choose another date)"
        )
    return None


def normalize_tree(root: Path) -> None:
    """Fixed permissions (not the builder's umask) and mtimes (the build time)."""
    stamp = get_build_timestamp()
    for path in sorted(root.rglob("*"), reverse=True):  # children before their folder
        if path.is_symlink():
            continue
        path.chmod(DIR_MODE if path.is_dir() else FILE_MODE)
        os.utime(path, (stamp, stamp))
    root.chmod(DIR_MODE)
    os.utime(root, (stamp, stamp))
