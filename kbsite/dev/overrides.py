"""The Material templates kbsite overrides, and the Material each copy was compared with.

kbsite's templates (kbsite/templates) replace some of Material's by the same path. A new
Material release can change an original, and the copy would silently keep the old markup
(or miss a security fix such as 9.7.7's). So each override is recorded here with the
Material version and the start of the SHA-256 of Material's file it was last compared
with; the test suite fails when the installed Material is another version, until each
override has been compared again and its line updated.

    .venv/bin/python -m kbsite.dev.overrides      (or scripts/overrides) lists them.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

TEMPLATES = Path(__file__).parent.parent / "templates"

# path under the templates folder: (Material version compared with, sha256[:16] of Material's file)
COMPARED = {
    "404.html": ("9.8.2", "80c93494b5432b1b"),  # the heading through the catalog
    "main.html": ("9.8.2", "9948b55a7bc979c3"),
    "partials/header.html": ("9.8.2", "8cf3fb15bcf969ff"),
    "partials/nav.html": ("9.8.2", "af33f6e032f632eb"),
    "partials/nav-item.html": ("9.8.2", "89895208f22d68ce"),
    "partials/footer.html": ("9.8.2", "50c2a75f013b7b03"),
    # Material's inline scripts, moved into files for the pages' Content-Security-Policy
    # (assets/javascripts/kbsite/<name>.js holds each one's code).
    "partials/javascripts/announce.html": ("9.8.2", "fbc798036968edbf"),
    "partials/javascripts/base.html": ("9.8.2", "d6113712bc4deb30"),
    "partials/javascripts/consent.html": ("9.8.2", "6dc38ea451a27ffd"),
    "partials/javascripts/content.html": ("9.8.2", "3722e156f0f6339d"),
    "partials/javascripts/outdated.html": ("9.8.2", "13165dec361fce13"),
    "partials/javascripts/palette.html": ("9.8.2", "8790389765ea6036"),
}


@dataclass(frozen=True)
class Override:
    path: str
    compared_version: str | None  # None: not recorded in COMPARED
    compared_digest: str | None
    material_digest: str

    @property
    def upstream_changed(self) -> bool:
        return self.material_digest != self.compared_digest


def material_templates() -> Path:
    import material

    return Path(material.__file__).parent / "templates"


def material_version() -> str:
    return importlib.metadata.version("mkdocs-material")


def overrides() -> list[Override]:
    """Every kbsite template that has a namesake in the installed Material."""
    upstream = material_templates()
    found = []
    for path in sorted(TEMPLATES.rglob("*")):
        rel = path.relative_to(TEMPLATES).as_posix()
        original = upstream / rel
        if path.is_file() and original.is_file():
            version, digest = COMPARED.get(rel, (None, None))
            found.append(
                Override(rel, version, digest, hashlib.sha256(original.read_bytes()).hexdigest()[:16])
            )
    return found


def to_compare() -> list[str]:
    """What must be compared again with the installed Material, one line each; empty when none."""
    installed = material_version()
    todo = []
    for o in overrides():
        if o.compared_version is None:
            todo.append(f"{o.path}: a new override; compare it and add it to COMPARED in {__name__}")
        elif o.compared_version != installed:
            change = "its original changed" if o.upstream_changed else "its original is unchanged"
            todo.append(
                f"{o.path}: compared with Material {o.compared_version}, installed {installed} ({change})"
            )
    gone = set(COMPARED) - {o.path for o in overrides()}
    todo += [f"{p}: listed in COMPARED but no longer an override; remove its line" for p in sorted(gone)]
    return todo


def main() -> None:
    print(f"Material {material_version()} installed; kbsite overrides:")
    for o in overrides():
        state = "changed upstream since compared" if o.upstream_changed else "same as compared"
        print(f"  {o.path:40} compared with {o.compared_version or '-':8} {state}")
    for line in to_compare():
        print("TO COMPARE:", line)


if __name__ == "__main__":
    main()
