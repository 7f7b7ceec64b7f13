"""Every kind of bad content stops the build with file, line or field, and a fix,
and leaves a previously built site/ byte-for-byte untouched."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import run_kbsite, tree_digest

TAILS = "content/devices/what-is-tails.md"
VPN = "content/network/tor-vs-vpn.md"


@pytest.fixture
def site(built_mini: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "site-copy"
    shutil.copytree(built_mini, dest)
    return dest


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(root: Path, rel: str, needle: str) -> int:
    for n, line in enumerate((root / rel).read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {rel}")


def fails(root: Path, *expected: str) -> str:
    """Build must fail, name everything in `expected`, offer a fix, keep site/."""
    before = tree_digest(root / "site")
    result = run_kbsite("build", cwd=root)
    out = result.stderr
    assert result.returncode == 1, out
    for text in expected:
        assert text in out, f"{text!r} not in:\n{out}"
    assert "fix:" in out
    assert tree_digest(root / "site") == before, "the previous site/ was modified"
    assert not list(root.glob("site.*")), "a temporary build folder was left behind"
    return out


def test_yaml_syntax_error_names_line(site):
    edit(site, TAILS, "summary: A live", "summary: [A live")
    n = line_of(site, TAILS, "summary: [A live")
    fails(site, "devices/what-is-tails.md:", "YAML syntax error")
    out = run_kbsite("check", cwd=site).stderr
    assert re.search(rf"what-is-tails\.md:({n}|{n + 1}|{n + 2}):", out), out


def test_yaml_syntax_error_in_data_file(site):
    (site / "content/_data/tools.yml").write_text("- id: tails\n  name: [Tails\n", encoding="utf-8")
    fails(site, "_data/tools.yml:", "YAML syntax error")


@pytest.mark.parametrize("field", ["title", "summary"])
def test_missing_title_or_summary(site, field):
    text = (site / TAILS).read_text(encoding="utf-8")
    text = re.sub(rf"^{field}: .*\n", "", text, count=1, flags=re.M)
    (site / TAILS).write_text(text, encoding="utf-8")
    fails(site, "devices/what-is-tails.md", f"missing '{field}'")


def test_unknown_category_folder(site):
    (site / "content/nowhere").mkdir()
    shutil.copy(site / VPN, site / "content/nowhere/lost.md")
    fails(site, "nowhere/lost.md", "not a category folder", "_data/categories.yml")


def test_unknown_tool_id(site):
    edit(site, TAILS, "- id: tor-project", "- id: tor-projekt")
    n = line_of(site, TAILS, "tor-projekt")
    fails(site, f"devices/what-is-tails.md:{n}: tools[1].id", "unknown tool id 'tor-projekt'", "tor-project")


def test_unknown_related_slug(site):
    edit(site, TAILS, "related: [tor-vs-vpn]", "related: [tor-versus-vpn]")
    n = line_of(site, TAILS, "related:")
    fails(site, f"devices/what-is-tails.md:{n}: related[0]", "unknown related slug 'tor-versus-vpn'")


def test_unknown_table_kind(site):
    edit(site, TAILS, "kind: features", "kind: feature")
    n = line_of(site, TAILS, "kind: feature")
    fails(
        site,
        f"devices/what-is-tails.md:{n}: tables.features.kind",
        "unknown table kind 'feature'",
        "features",
    )


def test_row_with_missing_column(site):
    edit(site, TAILS, "        role: Leaves fewer traces on the computer\n", "")
    fails(site, "devices/what-is-tails.md", "tables.features.rows[0]", "column 'role' is missing")


def test_row_with_unknown_column(site):
    edit(site, TAILS, "        role: Leaves", "        rol: Leaves")
    n = line_of(site, TAILS, "rol: Leaves")
    fails(site, f"devices/what-is-tails.md:{n}: tables.features.rows[0].rol", "unknown column 'rol'")


def test_marker_without_data(site):
    edit(site, VPN, "{{ table: risks }}", "{{ table: risks }}\n\n{{ table: extra }}")
    n = line_of(site, VPN, "{{ table: extra }}")
    fails(site, f"network/tor-vs-vpn.md:{n}:", "marker names table 'extra'")


def test_table_data_never_placed(site):
    edit(site, VPN, "{{ table: risks }}", "")
    n = line_of(site, VPN, "  risks:")
    fails(site, f"network/tor-vs-vpn.md:{n}: tables.risks", "never placed", "{{ table: risks }}")


def test_two_articles_with_one_slug(site):
    shutil.copy(site / VPN, site / "content/devices/tor-vs-vpn.md")
    fails(site, "tor-vs-vpn.md", "slug 'tor-vs-vpn' is already used")


def test_invalid_date(site):
    edit(site, TAILS, "updated: 2026-10-02", "updated: 2026-13-02")
    n = line_of(site, TAILS, "updated:")
    fails(site, f"devices/what-is-tails.md:{n}: updated", "not a valid date", "YYYY-MM-DD")


def test_file_not_utf8(site):
    path = site / VPN
    path.write_bytes(path.read_bytes().replace(b"three relays", "tr\xe8s relais".encode("latin-1")))
    n = line_of_bytes(path, b"tr\xe8s")
    fails(site, f"network/tor-vs-vpn.md:{n}:", "not valid UTF-8", "UTF-8")


def line_of_bytes(path: Path, needle: bytes) -> int:
    data = path.read_bytes()
    return data[: data.index(needle)].count(b"\n") + 1


def test_tool_url_not_http(site):
    edit(site, "content/_data/tools.yml", "url: https://tails.net/", "url: javascript:alert(1)")
    n = line_of(site, "content/_data/tools.yml", "javascript:")
    fails(site, f"_data/tools.yml:{n}: [1].url", "not an http(s) address")


def test_empty_table(site):
    edit(
        site,
        VPN,
        """    rows:
      - risk: Provider logs
        example: A VPN keeps connection records
        reason: You trust the provider instead of your network
""",
        "    rows: []\n",
    )
    fails(site, "network/tor-vs-vpn.md", "tables.risks.rows", "table has no rows")


def test_check_lists_every_error_at_once_and_writes_nothing(site):
    edit(site, TAILS, "- id: tor-project", "- id: nope")
    edit(site, VPN, "updated: 2026-09-01", "updated: yesterday")
    edit(site, "content/_data/tools.yml", "url: https://mullvad.net/", "url: ftp://mullvad.net/")
    shutil.rmtree(site / "site")
    result = run_kbsite("check", cwd=site)
    assert result.returncode == 1
    assert "3 content errors" in result.stderr
    for text in ("unknown tool id 'nope'", "'yesterday' is not a valid date", "ftp://mullvad.net/"):
        assert text in result.stderr
    assert not (site / "site").exists()


def test_plain_mkdocs_build_also_stops(site):
    import subprocess
    import sys

    edit(site, TAILS, "- id: tor-project", "- id: nope")
    before = tree_digest(site / "site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"], cwd=site, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "unknown tool id 'nope'" in result.stderr
    assert tree_digest(site / "site") == before
