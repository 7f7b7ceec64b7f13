"""Helpers for the bad-input suite (tests/test_bad_input*.py): a built site to spoil,
and the one assertion every case makes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_kbsite, tree_digest

TAILS = "content/devices/what-is-tails.md"
VPN = "content/network/tor-vs-vpn.md"
TOOLS = "content/_data/tools.yml"
CATEGORIES = "content/_data/categories.yml"


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


def fails(root: Path, *expected: str, command: str = "build") -> str:
    """The command must fail, name everything in `expected`, offer a fix, keep site/."""
    before = tree_digest(root / "site")
    result = run_kbsite(command, cwd=root)
    out = result.stderr
    assert result.returncode == 1, out
    for text in expected:
        assert text in out, f"{text!r} not in:\n{out}"
    assert "fix:" in out
    assert tree_digest(root / "site") == before, "the previous site/ was modified"
    assert not list(root.glob("site.*")), "a temporary build folder was left behind"
    return out
