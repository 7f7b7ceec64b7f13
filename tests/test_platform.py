"""The way off Material's and MkDocs' end of life, tested: ProperDocs builds the same site,
and every Material template kbsite overrides was compared with the installed Material."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, copy_site, run_kbsite

from kbsite.dev import overrides

GENERATOR = re.compile(rb'<meta name="generator" content="[^"]*">')


def _tree(site: Path) -> dict[str, bytes]:
    """Every file's bytes, with the generator line (which names the engine) blanked."""
    return {
        p.relative_to(site).as_posix(): GENERATOR.sub(b"", p.read_bytes())
        if p.suffix == ".html"
        else p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def _differences(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(set(a) ^ set(b)) + [name for name in sorted(set(a) & set(b)) if a[name] != b[name]]


def test_properdocs_builds_the_same_site(starter_site, tmp_path):
    """kbsite's command line on ProperDocs, and ProperDocs' own `properdocs build`, give the
    MkDocs build's pages byte for byte, apart from the generator line."""
    mkdocs_tree = _tree(starter_site)
    root = copy_site(tmp_path, "starter")
    run = run_kbsite("build", cwd=root, env={"KBSITE_ENGINE": "properdocs"})
    assert run.returncode == 0, run.stderr
    assert b"ProperDocs" in (root / "site/index.html").read_bytes()  # it really ran on ProperDocs
    assert _differences(mkdocs_tree, _tree(root / "site")) == []

    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "PYTHONPATH": str(ROOT)}
    own = subprocess.run(
        [Path(sys.executable).parent / "properdocs", "build", "-q", "-d", "plain"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert own.returncode == 0, own.stderr
    # `properdocs build` is one MkDocs build: the original language (kbsite builds each language).
    original = {name: data for name, data in mkdocs_tree.items() if name.split("/")[0] not in ("ja", "fa")}
    assert _differences(original, _tree(root / "plain")) == []


def test_every_override_was_compared_with_the_installed_material():
    todo = overrides.to_compare()
    assert not todo, "Material templates to compare again with the pinned Material:\n" + "\n".join(todo)


def test_a_new_material_version_asks_for_each_override_to_be_compared(monkeypatch):
    found = overrides.overrides()
    assert {"main.html", "partials/nav.html", "partials/header.html"} <= {o.path for o in found}
    monkeypatch.setattr(overrides, "material_version", lambda: "9.9.0")
    todo = overrides.to_compare()
    assert len(todo) == len(found)
    assert all("installed 9.9.0" in line for line in todo)
