"""Freshness a reader can see: `reviewed:`, `review_every`, the overdue notice on the page and
in print, `kbsite check`'s list, and `--strict-freshness` stopping before anything is written."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import jinja2
import pytest
from conftest import copy_site, kbsite_option, run_kbsite, tree_digest

from kbsite.content import freshness, load
from kbsite.content.freshness import Period, PeriodError, parse_period
from kbsite.outputs import handbook
from kbsite.site.config import with_reviews
from kbsite.site.i18n import LOCALE

TEMPLATES = LOCALE.parent / "templates"
# The build's day for these tests: public-wifi (reviewed 2026-01-10) is overdue, the others
# (updated 2026-09-01 and 2026-10-02, every 3 months) are not.
EPOCH = str(int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp()))


def test_periods():
    assert parse_period(365) == Period(365, "day")
    assert parse_period("12 months") == parse_period("12 month") == Period(12, "month")
    assert parse_period(None) is None
    assert Period(1, "month").after(dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert Period(1, "year").after(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
    assert Period(2, "week").after(dt.date(2026, 12, 25)) == dt.date(2027, 1, 8)
    for bad in (0, -3, "soon", "12 fortnights", True, "0 days"):
        with pytest.raises(PeriodError, match="review_every: 365"):
            parse_period(bad)


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **extra}


def reviewed_site(root: Path) -> Path:
    kbsite_option(root, 'review_every: "3 months"')
    kbsite_option(root, "handbook: false")
    kbsite_option(root, "epub: false")
    wifi = root / "content/network/public-wifi.md"
    wifi.write_text(
        wifi.read_text().replace("updated: 2026-08-15\n", "updated: 2026-08-15\nreviewed: 2026-01-10\n")
    )
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = reviewed_site(copy_site(tmp_path_factory.mktemp("fresh"), "mini"))
    result = run_kbsite("build", cwd=root, env=env())
    assert result.returncode == 0, result.stderr
    return root


def test_an_overdue_article_says_so(built):
    page = (built / "site/network/public-wifi.html").read_text(encoding="utf-8")
    notice = re.search(r'<p class="kb-notice kb-notice--overdue">(.*?)</p>', page, re.S)
    assert notice, "no overdue notice"
    words = re.sub(r"<[^>]+>", "", notice.group(1))
    assert "last reviewed on 2026-01-10 and was due for review on 2026-04-10" in words
    assert re.search(r'Last reviewed <time dir="ltr" datetime="2026-01-10">', page)
    fresh = (built / "site/devices/what-is-tails.html").read_text(encoding="utf-8")
    assert "kb-notice--overdue" not in fresh
    assert 'Last reviewed <time dir="ltr" datetime="2026-10-02">' in fresh  # no reviewed: its updated


def test_check_lists_overdue_reviews_and_strict_freshness_fails(built):
    ok = run_kbsite("check", cwd=built, env=env())
    assert ok.returncode == 0, ok.stderr
    assert "Reviews every 3 months, as of 2026-11-01: 1 overdue" in ok.stdout
    assert "  overdue: network/public-wifi.md last reviewed 2026-01-10, due 2026-04-10" in ok.stdout
    strict = run_kbsite("check", "--strict-freshness", cwd=built, env=env())
    assert strict.returncode == 1
    line = (built / "content/network/public-wifi.md").read_text().splitlines().index(
        "reviewed: 2026-01-10"
    ) + 1
    assert f"network/public-wifi.md:{line}: reviewed: overdue for review since 2026-04-10" in strict.stderr
    assert "fix: review the article's advice, then set `reviewed: 2026-11-01`" in strict.stderr


def test_strict_freshness_build_leaves_the_old_site(built, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(built, root)
    before = tree_digest(root / "site")
    failed = run_kbsite("build", "--strict-freshness", cwd=root, env=env())
    assert failed.returncode == 1
    assert "network/public-wifi.md" in failed.stderr and "Nothing was written." in failed.stderr
    assert tree_digest(root / "site") == before
    # Without the flag an overdue article is a notice, not a failure (the fixture's build).


def test_the_handbook_says_so_too(built):
    os.environ["SOURCE_DATE_EPOCH"], old = EPOCH, os.environ.get("SOURCE_DATE_EPOCH")
    try:
        kb = with_reviews(load.load(built / "content", "Mini KB"), "3 months")
        assert kb.today == freshness.today() == dt.date(2026, 11, 1)
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH") if old is None else os.environ.update(SOURCE_DATE_EPOCH=old)
    html = handbook.book_html(kb, jinja2.FileSystemLoader(TEMPLATES))
    article = html[html.index('id="art-public-wifi"') :]
    article = article[: article.index("</article>")]
    assert (
        '<p class="notice">Overdue for review: this article was last reviewed on <span dir="ltr">2026-01-10'
        in article
    )
    assert 'Last reviewed <span dir="ltr">2026-01-10</span>' in article
    assert html.count('<p class="notice">Overdue') == 1


def test_a_date_kbsite_derives_does_not_stop_reviews_falling_due(monkeypatch):
    # kbsite dates a build by its newest article when SOURCE_DATE_EPOCH is unset; reviews
    # still fall due on the real date, or a site left alone would never show them.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv(freshness.EPOCH_FROM_CONTENT, "1")
    assert freshness.today() == dt.datetime.now(dt.UTC).date()


def test_the_reader_gets_it_in_their_language(starter_site):
    # The starter's remove-metadata-before-sharing was last reviewed 2024-11-15 (every 365 days).
    ja = re.sub(
        r"<[^>]+>", "", (starter_site / "ja/files/remove-metadata-before-sharing.html").read_text("utf-8")
    )
    assert "見直しの期限切れ: この記事が最後に確認されたのは 2024-11-15 で、2025-11-15 までに" in ja
    fa = re.sub(
        r"<[^>]+>", "", (starter_site / "fa/files/remove-metadata-before-sharing.html").read_text("utf-8")
    )
    assert "بازبینی عقب افتاده: این مقاله آخرین بار در 2024-11-15 بازبینی شده" in fa


@pytest.mark.parametrize(
    "front, option, expected",
    [
        (
            "reviewed: 2026-13-01\n",
            None,
            r"network/public-wifi\.md:\d+: reviewed: '2026-13-01' is not a valid date\n"
            r"    fix: write a real date as `YYYY-MM-DD`",
        ),
        (
            "reviewed: 2999-01-01\n",
            None,
            r"network/public-wifi\.md:\d+: reviewed: date 2999-01-01 is in the future\n"
            r"    fix: write the date of the last real review",
        ),
        ("reviewed:\n", None, r"network/public-wifi\.md:\d+: reviewed: missing 'reviewed'"),
        (
            "",
            'review_every: "every year"',
            r"mkdocs\.yml: plugins: kbsite: review_every: 'every year' is not a period; "
            r"write a number of days \(`review_every: 365`\)",
        ),
    ],
)
def test_bad_freshness_input(tmp_path, front, option, expected):
    root = copy_site(tmp_path, "mini")
    if option:
        kbsite_option(root, option)
    wifi = root / "content/network/public-wifi.md"
    wifi.write_text(wifi.read_text().replace("updated: 2026-08-15\n", "updated: 2026-08-15\n" + front))
    result = run_kbsite("check", cwd=root, env=env())
    assert result.returncode != 0
    assert re.search(expected, result.stderr), result.stderr
    if front:  # the line is the field's
        line = int(re.search(r"public-wifi\.md:(\d+)", result.stderr).group(1))
        assert wifi.read_text().splitlines()[line - 1] == front.strip()
