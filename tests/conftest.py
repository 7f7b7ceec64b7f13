"""Shared helpers: fixture sites copied to a temporary folder and built for real."""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from kbsite.dev.synth import kbsite_option as kbsite_option  # one place, for the bench too

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
KBSITE = [sys.executable, "-m", "kbsite.cli"]


def run_kbsite(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real command line; never raises on a non-zero exit."""
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([*KBSITE, *args], cwd=cwd, env=full_env, capture_output=True, text=True)


def tree_digest(folder: Path) -> str:
    """A hash of every path and file below `folder`: equal means byte-for-byte unchanged."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        h.update(path.relative_to(folder).as_posix().encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def copy_site(tmp_path: Path, name: str = "mini") -> Path:
    """A fresh copy of a fixture site (or of the starter site with name='starter')."""
    dest = tmp_path / name
    if name == "starter":
        dest.mkdir()
        shutil.copytree(ROOT / "content", dest / "content")
        shutil.copy(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
        if (ROOT / "overrides").exists():
            shutil.copytree(ROOT / "overrides", dest / "overrides")
    else:
        shutil.copytree(FIXTURES / name, dest)
    return dest


T = TypeVar("T")


def once_per_run(tmp_path_factory, name: str, make: Callable[[Path], T]) -> T:
    """`make(folder)` run once per test run, its result shared by every pytest-xdist worker
    (scripts/test runs one per core): the first worker to ask builds under a lock while the
    others wait, then all read the same pickled result. Without xdist, a plain session fixture.
    A failed `make` leaves no result, so the next worker tries again and fails the same way."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, shared by its workers (popen-gw0, popen-gw1...)
    folder, result = base / f"once-{name}", base / f"once-{name}.pickle"
    with open(base / f"once-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if result.exists():
            return pickle.loads(result.read_bytes())
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        value = make(folder)
        result.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return copy_site(tmp_path, "mini")


@pytest.fixture(scope="session")
def built_mini(tmp_path_factory) -> Path:
    """The mini fixture built once per run; returns its root. Copy it before changing it."""
    return once_per_run(tmp_path_factory, "built-mini", lambda folder: _built(folder, "mini"))


@pytest.fixture(scope="session")
def starter_site(tmp_path_factory) -> Path:
    """The shipped starter content, built once per run; returns site/. Read it, never change it."""
    return once_per_run(tmp_path_factory, "starter", lambda folder: _built(folder, "starter")) / "site"


def _built(folder: Path, name: str) -> Path:
    root = copy_site(folder, name)
    result = run_kbsite("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


# Real browsers, one of each per session, for every browser test (see tests/browsers.py).
from browsers import chromium, chromium_proxy, firefox, firefox_proxy  # noqa: E402,F401

# The hosting tests' session builds (canary build, second build), shared across their modules.
from hosting_build import canary_build, second_build  # noqa: E402, F401
