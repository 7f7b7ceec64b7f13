"""A synthetic knowledge base (kbsite.dev.synth), built once per session for search tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_kbsite

from kbsite.content import load
from kbsite.dev import synth

SYNTH_ARTICLES = 40


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory) -> Path:
    """A built synthetic site: the root holds mkdocs.yml, content/ and site/."""
    root = synth.write_kb(tmp_path_factory.mktemp("synth") / "kb", SYNTH_ARTICLES)
    result = run_kbsite("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="session")
def synth_kb(synth_root: Path):
    return load.load(synth_root / "content", "Synthetic KB")
