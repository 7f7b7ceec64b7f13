"""A synthetic knowledge base (kbsite.dev.synth), built once per session for search tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import once_per_run, run_kbsite

from kbsite.content import load
from kbsite.dev import synth

SYNTH_ARTICLES = 40


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory) -> Path:
    """A built synthetic site, once per run: the root holds mkdocs.yml, content/ and site/."""

    def make(folder: Path) -> Path:
        root = synth.write_kb(folder / "kb", SYNTH_ARTICLES)
        result = run_kbsite("build", cwd=root)
        assert result.returncode == 0, result.stderr
        return root

    return once_per_run(tmp_path_factory, "synth", make)


@pytest.fixture(scope="session")
def synth_kb(synth_root: Path):
    return load.load(synth_root / "content", "Synthetic KB")
