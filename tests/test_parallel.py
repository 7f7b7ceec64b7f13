"""Builds that render part of the articles in a second process (kbsite.site.parallel).

The mini fixture's three articles split as: devices/what-is-tails.md and
network/public-wifi.md in the child, network/tor-vs-vpn.md in the parent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, copy_site, kbsite_option, run_kbsite, tree_digest

TAILS = "content/devices/what-is-tails.md"  # rendered by the child
VPN = "content/network/tor-vs-vpn.md"  # rendered by the parent

pytestmark = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="the split needs two CPUs")


def serial(root: Path) -> Path:
    kbsite_option(root, "parallel: false")
    return root


def append(root: Path, rel: str, text: str) -> None:
    with (root / rel).open("a", encoding="utf-8") as f:
        f.write(text)


def mkdocs_build(root: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": "1767225600",
        "PYTHONPATH": str(ROOT),
        "NO_MKDOCS_2_WARNING": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"], cwd=root, env=env, capture_output=True, text=True
    )


def test_mkdocs_build_splits_the_articles(mini):
    result = mkdocs_build(mini)
    assert result.returncode == 0, result.stderr
    assert "kbsite: a second process renders 2 of 3 articles" in result.stderr
    assert "Page skipped" not in result.stderr  # the halves left to the other process are not news
    for page in ("devices/what-is-tails.html", "network/public-wifi.html", "network/tor-vs-vpn.html"):
        assert "<h1" in (mini / "site" / page).read_text(encoding="utf-8")


def test_same_bytes_as_a_serial_build(starter_site, tmp_path):
    """The starter site (built with the split) equals a one-process build, file for file."""
    root = serial(copy_site(tmp_path, "starter"))
    result = run_kbsite("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert tree_digest(root / "site") == tree_digest(starter_site)


def warnings(stderr: str) -> list[str]:
    return sorted(line for line in stderr.splitlines() if line.startswith("WARNING"))


def test_child_warning_is_reported_once_and_fails_strict(built_mini, tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(built_mini, root)
    append(root, TAILS, "\nSee [an old page](../network/gone.md).\n")
    before = tree_digest(root / "site")
    result = run_kbsite("build", cwd=root)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("contains a link '../network/gone.md'") == 1, result.stderr
    assert "strict mode" in result.stderr
    assert tree_digest(root / "site") == before
    # A one-process build says exactly the same.
    assert warnings(run_kbsite("build", cwd=serial(root)).stderr) == warnings(result.stderr)


def test_anchor_links_between_the_halves_are_checked(mini):
    with (mini / "mkdocs.yml").open("a") as f:
        f.write("validation:\n  links:\n    anchors: warn\n")
    append(mini, TAILS, "\nCompare [the summary](../network/tor-vs-vpn.md#summary).\n")
    append(mini, VPN, "\nSee [the basics](../devices/what-is-tails.md#basics).\n")
    result = run_kbsite("build", cwd=mini)
    assert result.returncode == 0, result.stderr  # both anchors exist, each in the other half

    append(mini, TAILS, "\nAnd [this](../network/tor-vs-vpn.md#no-such-part).\n")
    append(mini, VPN, "\nAnd [that](../devices/what-is-tails.md#nothing-here).\n")
    result = run_kbsite("build", cwd=mini)
    assert result.returncode == 1, result.stderr
    for anchor in ("#no-such-part", "#nothing-here"):
        assert result.stderr.count(f"does not contain an anchor '{anchor}'") == 1, result.stderr
    assert warnings(run_kbsite("build", cwd=serial(mini)).stderr) == warnings(result.stderr)


def test_failure_in_the_child_stops_the_build(built_mini, tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(built_mini, root)
    yml = root / "mkdocs.yml"
    text = yml.read_text(encoding="utf-8").replace("  - kbsite\n", "  - kbsite:\n      handbook: false\n")
    yml.write_text(text.replace("toc]", "toc, {pymdownx.snippets: {check_paths: true}}]"), encoding="utf-8")
    append(root, TAILS, '\n--8<-- "no-such-snippet.txt"\n')  # the snippets extension raises on it
    before = tree_digest(root / "site")
    result = run_kbsite("build", cwd=root)
    assert result.returncode == 1, result.stderr
    assert "Error reading page 'devices/what-is-tails.md'" in result.stderr
    assert "no-such-snippet.txt" in result.stderr
    assert "the second build process failed" in result.stderr
    assert tree_digest(root / "site") == before
    assert not list(root.glob("site.*"))


def test_plain_page_and_links_into_it_same_as_serial(tmp_path):
    """A plain page (content/about.md) is read by both processes, built by the parent only;
    an article in the child's half links to one of its headings."""
    sites = []
    for name, parallel in (("split", True), ("serial", False)):
        root = copy_site(tmp_path / name, "mini")
        (root / "content" / "about.md").write_text(
            "# About this site\n\n## Who writes it\n\nVolunteers.\n", encoding="utf-8"
        )
        append(root, TAILS, "\nSee [who writes it](../about.md#who-writes-it).\n")
        if not parallel:
            serial(root)
        result = run_kbsite("build", cwd=root)
        assert result.returncode == 0, result.stderr
        sites.append(root / "site")
    assert "About this site" in (sites[0] / "about.html").read_text(encoding="utf-8")
    assert 'href="../about.html#who-writes-it"' in (sites[0] / "devices/what-is-tails.html").read_text(
        encoding="utf-8"
    )
    assert tree_digest(sites[0]) == tree_digest(sites[1])
