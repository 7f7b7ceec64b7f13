"""The files under content/, and the symbolic links that would publish files from elsewhere.

Content is untrusted input: a link `content/files/notes.txt -> /etc/hostname`
would copy the build machine's file into the site, the handbook and the bundle.
Links that stay inside content/ are fine (MkDocs follows them too); a link that
resolves outside it or to nothing is an error naming the link, as is a loop (a
link to a folder that holds it).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ContentError

FIX_OUTSIDE = "copy the file into content/ (or remove the link): kbsite publishes nothing from outside it"


def outside(root: Path, path: str | Path) -> bool:
    """Whether `path` (after every symbolic link) lies outside `root`."""
    return not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def link_error(root: Path, path: Path) -> ContentError | None:
    """The error for a symbolic link under `root` that leads out of it or to nothing."""
    rel = path.relative_to(root).as_posix()
    target = os.readlink(path) if path.is_symlink() else os.path.realpath(path)
    if outside(root, path):
        return ContentError(rel, f"symbolic link to {target!r} leads outside content/", FIX_OUTSIDE)
    if not path.exists():
        return ContentError(rel, f"symbolic link to {target!r} points to nothing", "fix or remove the link")
    return None


def content_files(root: Path) -> tuple[list[Path], list[ContentError]]:
    """Every file under `root` (sorted, as paths below `root`), and the links that escape it.

    Files and folders whose names start with "." are not listed (MkDocs does not publish
    them), but links among them are checked all the same.
    """
    root = Path(root)
    files: list[Path] = []
    errors: list[ContentError] = []

    def walk(folder: Path, above: tuple[str, ...]) -> None:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            path = folder / entry.name
            if entry.is_symlink() and (error := link_error(root, path)) is not None:
                errors.append(error)  # even a hidden one: MkDocs lists those too
                continue
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                real = os.path.realpath(path)
                if real in above:  # MkDocs would go round until the system refuses
                    target = os.readlink(path) if entry.is_symlink() else real
                    errors.append(
                        ContentError(
                            path.relative_to(root).as_posix(),
                            f"symbolic link to {target!r} loops back to a folder that holds it",
                            "remove the link",
                        )
                    )
                else:
                    walk(path, (*above, real))
            elif entry.is_file():
                files.append(path)

    if root.is_dir():
        walk(root, (os.path.realpath(root),))
    return sorted(files), errors
