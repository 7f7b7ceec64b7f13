"""One error type for bad content, and one place that formats it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContentError:
    """A problem in one content file: where it is and what to write instead."""

    path: str  # relative to the content folder, with forward slashes
    message: str
    hint: str = ""
    line: int | None = None
    field: str | None = None

    def format(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        what = f"{self.field}: " if self.field else ""
        text = f"{where}: {what}{self.message}"
        return f"{text}\n    fix: {self.hint}" if self.hint else text


class ContentErrors(Exception):
    """Raised with every content error found, so one run reports them all."""

    def __init__(self, errors: list[ContentError]):
        self.errors = sorted(errors, key=lambda e: (e.path, e.line or 0, e.field or ""))
        super().__init__(self.format())

    def format(self) -> str:
        n = len(self.errors)
        head = f"{n} content error{'s' if n != 1 else ''}:"
        return "\n".join([head, *(e.format() for e in self.errors)])
