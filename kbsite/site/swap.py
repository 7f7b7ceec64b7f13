"""Build into a new folder beside site/, then swap it in; never leave a half-built folder.

Each build writes into `site.new-XXXX`, a folder it holds an exclusive `flock` on
for as long as it runs (the forked second build process shares the lock, so it is
held while either writes). SIGTERM and SIGINT stop the build: the second process is
stopped, the folder removed, and the command exits with 128 + the signal's number.
A build killed outright (SIGKILL, power loss) leaves its folder unlocked; the next
build removes every unlocked `site.new-*`, and never one another build still holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(Exception):
    """Raised in the build by SIGTERM or SIGINT.

    An Exception, not a BaseException: MkDocs then runs its `on_build_error` event,
    where the kbsite plugin stops its second build process before the folder goes.
    """

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def signals_raise() -> Iterator[list[int]]:
    """SIGTERM and SIGINT raise Interrupted while the block runs.

    The signals received are also kept in the yielded list: code that catches every
    Exception (WeasyPrint's image loading does) could swallow the first one."""
    received: list[int] = []

    def handler(signum, frame):
        received.append(signum)
        raise Interrupted(signum)

    old = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield received
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _lock(folder: Path) -> int | None:
    """An exclusive lock on `folder` (its open descriptor), or None if another process holds it."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def remove_stale(site: Path) -> list[Path]:
    """Remove the `site.new-*` folders no running build holds; return them.

    Also finishes a swap that was cut off: `site.old` without `site` is put back.
    """
    removed = []
    for folder in sorted(site.parent.glob(site.name + ".new-*")):
        if not folder.is_dir() or folder.is_symlink():
            continue
        fd = _lock(folder)
        if fd is None:
            continue  # another build is writing into it
        try:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            os.close(fd)
    old = site.with_name(site.name + ".old")
    if old.is_dir() and not site.exists():
        old.rename(site)
    return removed


def new_folder(site: Path) -> tuple[Path, int]:
    """A fresh, locked `site.new-*` folder and its lock's descriptor."""
    while True:
        folder = Path(tempfile.mkdtemp(prefix=site.name + ".new-", dir=site.parent))
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        # Another build's remove_stale may have locked and removed it before we locked it.
        with contextlib.suppress(FileNotFoundError):
            if os.stat(folder).st_ino == os.fstat(fd).st_ino:
                return folder, fd
        os.close(fd)


def build_into(site: Path, build: Callable[[Path], None]) -> None:
    """Run `build(folder)` in a new folder beside `site`, then swap it in.

    Raises what `build` raises, or Interrupted; either way the new folder is gone
    and `site` is untouched.
    """
    site.parent.mkdir(parents=True, exist_ok=True)
    with signals_raise() as received:
        remove_stale(site)
        # A signal between the folder's creation and the `try` would leave it behind: hold
        # signals until the `try` runs; one that came meanwhile raises as they are let in.
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        try:
            tmp, fd = new_folder(site)
        except BaseException:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
            raise
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
            build(tmp)
            if received:
                raise Interrupted(received[0])
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            os.close(fd)
            raise
        # The swap runs to its end: a signal now waits until the new site is in place.
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        try:
            tmp.chmod(0o755)
            old = site.with_name(site.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if site.exists():
                site.rename(old)
            tmp.rename(site)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            os.close(fd)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
