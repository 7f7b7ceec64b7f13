"""Symbolic links under content/ that lead outside it publish nothing: the build,
`check`, `pdf`, `bundle` and a plain `mkdocs build` stop, naming the link."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from badinput import fails, site  # noqa: F401 (site: a fixture)
from conftest import run_kbsite, tree_digest

CANARY = "builder-secret-3f9a1c"  # what the build machine must never publish


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files of the build machine, beside (not inside) the site's folder."""
    folder = tmp_path / "outside"
    (folder / "private").mkdir(parents=True)
    (folder / "secret.txt").write_text(CANARY + "\n")
    (folder / "private/notes.txt").write_text(CANARY + "\n")
    (folder / "stolen.md").write_text(
        f"---\ntitle: Stolen\nsummary: {CANARY}\nupdated: 2026-01-01\n---\n\n{CANARY}\n"
    )
    (folder / "glossary.yml").write_text(f"- term: Secret\n  definition: {CANARY}\n")
    return folder


def published(root: Path) -> str:
    """Everything a reader could get: site/ (with the handbook's text) and any bundle."""
    text = [p.read_bytes().decode("latin-1") for p in (root / "site").rglob("*") if p.is_file()]
    pdfs = sorted((root / "site/downloads").glob("*.pdf"))
    text += [subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True).stdout for p in pdfs]
    for bundle in (root / "dist").glob("*.zip") if (root / "dist").exists() else ():
        with zipfile.ZipFile(bundle) as z:
            text += [z.read(name).decode("latin-1") for name in z.namelist()]
    return "\n".join(text)


LINKS = [
    ("content/files/notes.txt", "secret.txt"),  # a file
    ("content/files", "private"),  # a folder, copied whole before
    ("content/devices/stolen.md", "stolen.md"),  # an article with valid front matter
    ("content/_data/glossary.yml", "glossary.yml"),  # a data file the model reads
    ("content/.hidden", "secret.txt"),  # not published by MkDocs, refused all the same
]


@pytest.mark.parametrize("link, target", LINKS)
def test_symlink_leading_outside_content_is_refused(site, outside, link, target):
    path = site / link
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    path.symlink_to(outside / target)
    rel = link.removeprefix("content/")
    expected = (f"{rel}: symbolic link to '{outside / target}' leads outside content/", "fix: copy the file")
    fails(site, *expected)
    fails(site, *expected, command="check")
    fails(site, *expected, command="pdf")
    fails(site, *expected, command="bundle")
    assert not (site / "dist").exists()
    plain = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"], cwd=site, capture_output=True, text=True
    )
    assert plain.returncode != 0 and "leads outside content/" in plain.stderr
    assert CANARY not in published(site)


def test_links_that_stay_inside_content_are_published(site, outside):
    files = site / "content/files"
    files.mkdir()
    (files / "a.txt").write_text("inside\n")
    (files / "b.txt").symlink_to("a.txt")
    (site / "content/files-again").symlink_to("files", target_is_directory=True)
    result = run_kbsite("bundle", cwd=site)
    assert result.returncode == 0, result.stderr
    assert (site / "site/files/b.txt").read_text() == "inside\n"
    assert (site / "site/files-again/a.txt").read_text() == "inside\n"
    assert CANARY not in published(site)


def test_dangling_link_is_named(site):
    (site / "content/files").mkdir()
    (site / "content/files/gone.txt").symlink_to("nothing-here.txt")
    fails(site, "files/gone.txt: symbolic link to 'nothing-here.txt' points to nothing", "fix: fix or remove")


def test_link_loop_is_named(site):
    # MkDocs would follow it until the system says "too many levels of symbolic links".
    (site / "content/files").mkdir()
    (site / "content/files/up").symlink_to("..", target_is_directory=True)
    fails(
        site, "files/up: symbolic link to '..' loops back to a folder that holds it", "fix: remove the link"
    )


def test_the_files_mkdocs_copies_are_checked_too(mini, outside):
    """kbsite.site.plugin refuses an outside file in MkDocs' own file list, whatever the loader saw."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import get_files

    from kbsite.site.plugin import _refuse_outside

    (mini / "content/files").mkdir()
    (mini / "content/files/notes.txt").symlink_to(outside / "secret.txt")
    cwd = os.getcwd()
    os.chdir(mini)
    try:
        config = load_config("mkdocs.yml")
    finally:
        os.chdir(cwd)
    with pytest.raises(PluginError, match="files/notes.txt: symbolic link to .* leads outside content/"):
        _refuse_outside(get_files(config), config)
    (mini / "content/files/notes.txt").unlink()
    (mini / "content/files/ok.txt").write_text("fine")
    _refuse_outside(get_files(config), config)  # nothing to refuse


def test_refused_build_keeps_the_previous_site(site, outside):
    before = tree_digest(site / "site")
    (site / "content/files").symlink_to(outside / "private", target_is_directory=True)
    assert run_kbsite("build", cwd=site).returncode == 1
    assert tree_digest(site / "site") == before
