"""Freshness a reader can see: when an article was last reviewed, and whether it is overdue.

An article's last review is its `reviewed:` date, else its `updated:` date (an editor who
changed it read it). With `review_every` set (plugin option: days, or "N days/weeks/months/
years"), an article whose last review is that period old is overdue on the day of the build
(`SOURCE_DATE_EPOCH` when the builder sets it). So two builds of the same content differ on
the day an article falls due: on purpose, readers must see it. A translation shares its
original's review: the advice is the same.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.utils import get_build_datetime

from .errors import ContentError

if TYPE_CHECKING:
    from .model import KnowledgeBase

PERIOD_RE = re.compile(r"^\s*(\d+)\s*(day|week|month|year)s?\s*$")
PERIOD_HINT = "write a number of days (`review_every: 365`) or e.g. `review_every: 12 months`"


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    count: int
    unit: str  # day, week, month or year

    def after(self, day: dt.date) -> dt.date:
        """The date one period after `day` (the end of a shorter month if the day is missing)."""
        if self.unit in ("day", "week"):
            return day + dt.timedelta(days=self.count * (7 if self.unit == "week" else 1))
        months = day.month - 1 + self.count * (12 if self.unit == "year" else 1)
        year, month = day.year + months // 12, months % 12 + 1
        return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

    def __str__(self) -> str:
        return f"{self.count} {self.unit}{'s' if self.count != 1 else ''}"


def parse_period(value: object) -> Period | None:
    """`review_every` from mkdocs.yml: None (no reviews due), days, or "N units"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise PeriodError(f"{value!r} is not a period; {PERIOD_HINT}")
    if isinstance(value, int):
        if value < 1:
            raise PeriodError(f"{value} is not a period of at least one day; {PERIOD_HINT}")
        return Period(value, "day")
    match = PERIOD_RE.match(str(value).lower())
    if not match or int(match.group(1)) < 1:
        raise PeriodError(f"{value!r} is not a period; {PERIOD_HINT}")
    return Period(int(match.group(1)), match.group(2))


# Set by kbsite.safety.reproducible when it dates a build by its newest article.
EPOCH_FROM_CONTENT = "KBSITE_EPOCH_FROM_CONTENT"


def today() -> dt.date:
    """What "overdue" is measured against: SOURCE_DATE_EPOCH when the builder gives it, else
    the real date. Not the date kbsite derives from the newest article: a knowledge base left
    alone for years would then never fall due, and falling due is the point."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit() and not os.environ.get(EPOCH_FROM_CONTENT):
        return get_build_datetime().date()
    return dt.datetime.now(dt.UTC).date()


def field_line(path: Path, key: str) -> int | None:
    """The line of `key:` in a Markdown file's front matter (for an error to point at)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError:
        return None
    return next((n for n, line in enumerate(lines, 1) if line.startswith(f"{key}:")), None)


def problems(kb: KnowledgeBase, content: Path) -> list[ContentError]:
    """What `--strict-freshness` refuses: articles overdue for review, outdated translations."""
    found = []
    for a in kb.articles:
        if kb.overdue(a):
            key = "reviewed" if a.reviewed else "updated"
            found.append(
                ContentError(
                    a.src_uri,
                    f"overdue for review since {kb.review_due(a)}: last reviewed {a.last_reviewed} "
                    f"(review_every: {kb.review_every})",
                    f"review the article's advice, then set `reviewed: {kb.today}`",
                    field_line(content / a.src_uri, key),
                    key,
                )
            )
    for lang in sorted(kb.translations):
        for t in sorted(kb.translations[lang].values(), key=lambda t: t.source_path):
            if t.outdated and t.original is not None:
                found.append(
                    ContentError(
                        t.source_path,
                        f"outdated translation of {t.original.src_uri}, which was updated "
                        f"{t.original.updated}, after {t.translates}",
                        f"bring the translation up to date, then set `translates: {t.original.updated}`",
                        field_line(content / t.source_path, "translates"),
                        "translates",
                    )
                )
    return found
