"""An interrupted `kbsite build` leaves nothing behind: SIGTERM or SIGINT at any point
stops both build processes, removes the new folder and keeps the old site/; a build
killed outright (SIGKILL) leaves a folder the next build removes, but never one that
a running build holds."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from conftest import KBSITE, ROOT, run_kbsite, tree_digest

from kbsite.dev import synth

ARTICLES = 20  # a build of a few seconds, so every point below is reached


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = synth.write_kb(tmp_path_factory.mktemp("interrupt") / "kb", ARTICLES)
    result = run_kbsite("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def root(built: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "kb"
    shutil.copytree(built, dest, symlinks=True)
    return dest


def start_build(root: Path) -> subprocess.Popen:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "PYTHONPATH": str(ROOT)}
    # Output to a file: a pipe nobody reads while polling could fill and stall the build.
    with open(root.parent / "build.log", "w") as log:
        return subprocess.Popen([*KBSITE, "build"], cwd=root, env=env, stdout=log, stderr=log, text=True)


def output(root: Path) -> str:
    return (root.parent / "build.log").read_text()


def temp_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("site.new-*"))


def wait_for(proc: subprocess.Popen, ready, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the build ended first"
        assert time.monotonic() < end, "the build never reached the point"
        time.sleep(0.005)


def pages_written(root: Path, n: int):
    return lambda: any(sum(1 for _ in t.rglob("*.html")) >= n for t in temp_folders(root))


# Points of the build: the new folder exists (the handbook is being made); the first
# pages are written (both processes render); most of the pages are written.
POINTS = {
    "folder": lambda root: lambda: bool(temp_folders(root)),
    "first-pages": lambda root: pages_written(root, 1),
    "most-pages": lambda root: pages_written(root, ARTICLES // 2),
}


@pytest.mark.parametrize(
    "point, signum",
    [
        ("folder", signal.SIGTERM),
        ("first-pages", signal.SIGTERM),
        ("most-pages", signal.SIGTERM),
        ("first-pages", signal.SIGINT),
    ],
)
def test_signal_during_build_leaves_no_temp_folder(root, point, signum):
    before = tree_digest(root / "site")
    proc = start_build(root)
    wait_for(proc, POINTS[point](root))
    children = psutil.Process(proc.pid).children(recursive=True)  # the second build process, if forked
    proc.send_signal(signum)
    proc.wait(timeout=120)
    err = output(root)
    assert proc.returncode == 128 + signum, err
    assert f"Build interrupted ({signal.Signals(signum).name})" in err
    assert "left untouched" in err and "Traceback" not in err
    assert temp_folders(root) == []
    assert tree_digest(root / "site") == before
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], "a build process outlived the build"


def test_killed_build_leaves_a_folder_the_next_build_removes(root):
    proc = start_build(root)
    wait_for(proc, POINTS["first-pages"](root))
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    proc.wait(timeout=60)
    psutil.wait_procs(children, timeout=60)  # a forked child finds its parent gone and ends
    stale = temp_folders(root)
    assert stale, "SIGKILL cannot be handled: its folder stays until the next build"
    result = run_kbsite("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert temp_folders(root) == []


def test_a_running_builds_folder_is_not_removed(root):
    held = root / "site.new-held"
    held.mkdir()
    (held / "page.html").write_text("being written")
    fd = os.open(held, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a running build holds its folder
    try:
        result = run_kbsite("build", cwd=root)
        assert result.returncode == 0, result.stderr
        assert (held / "page.html").read_text() == "being written"
    finally:
        os.close(fd)
    assert run_kbsite("build", cwd=root).returncode == 0
    assert not held.exists()


def test_a_swap_cut_short_is_finished(tmp_path):
    from kbsite.site.swap import remove_stale

    site = tmp_path / "site"
    (tmp_path / "site.old").mkdir()
    (tmp_path / "site.old/index.html").write_text("old")
    remove_stale(site)  # killed between moving site/ aside and moving the new one in
    assert (site / "index.html").read_text() == "old"
