"""YAML loading that remembers the source line of every value.

Errors about a field (an unknown tool id, a bad date) can then point at the
line the editor has to change, not only at the file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

Path_ = tuple[Any, ...]


# libyaml's parser when present: the pure-Python one was 60% of a 1,000-article build.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """SafeLoader that keeps an impossible date (2026-13-02) as text for validation."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def as_date(value: Any) -> dt.date | None:
    """A value read as a date (a timestamp as its day); None for anything else, such as the
    text an impossible date is kept as."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


class YamlSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None, hint: str = "fix the indentation or quote the value"):
        super().__init__(message)
        self.line, self.hint = line, hint


def load(text: str, first_line: int = 1) -> tuple[Any, dict[Path_, int]]:
    """Parse `text`; return the data and a map from key paths to 1-based lines.

    `first_line` is the line of `text`'s first line in its file (front matter
    starts after the opening `---`).
    """
    _refuse_aliases(text, first_line)
    loader = _Loader(text)
    lines: dict[Path_, int] = {}
    try:  # one parse: the node tree gives both the data and the lines
        node = loader.get_single_node()
        data = _Builder(loader, lines, first_line).build(node, ()) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(f"YAML syntax error: {problem}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML error: {exc}", None) from exc
    except RecursionError as exc:
        raise YamlSyntaxError("YAML nested too deeply", first_line) from exc
    finally:
        loader.dispose()
    return data, lines


def _refuse_aliases(text: str, first_line: int) -> None:
    """Refuse `*alias` before anything is built from it.

    Content never needs aliases, and nine nested lists of nine aliases each expand
    to 9**9 values (a "billion laughs"): refused here, reading only events, the
    work and memory stay in proportion to the text. No alias without a `*`.
    """
    if "*" not in text:
        return
    loader = _Loader(text)
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.AliasEvent):
                raise YamlSyntaxError(
                    f"YAML alias *{event.anchor} is not allowed",
                    event.start_mark.line + first_line if event.start_mark else None,
                    "write the value out in full where the alias is (kbsite reads no anchors or aliases)",
                )
            if isinstance(event, yaml.StreamEndEvent):
                return
    except yaml.YAMLError:
        return  # bad YAML: the full parse reports it, with its line
    finally:
        loader.dispose()


_STR, _SEQ, _MAP = (f"tag:yaml.org,2002:{t}" for t in ("str", "seq", "map"))


class _Builder:
    """Data and lines in one walk of the node tree.

    Plain strings, lists and mappings (nearly all of the content) are built here;
    PyYAML's constructor, pure Python even over libyaml, was 8% of a 1,000-article
    build. Every other node (numbers, dates, null, booleans, merge keys) goes to
    PyYAML's own rules, so the data is the same as yaml.safe_load's.
    """

    def __init__(self, loader, lines: dict[Path_, int], offset: int):
        self.loader, self.lines, self.offset = loader, lines, offset

    def build(self, node: yaml.Node, path: Path_) -> Any:
        # Aliases are refused before (_refuse_aliases): the node tree is a tree.
        self.lines[path] = node.start_mark.line + self.offset
        tag = node.tag
        if tag == _STR and isinstance(node, yaml.ScalarNode):
            data: Any = node.value
        elif tag == _SEQ and isinstance(node, yaml.SequenceNode):
            data = [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        elif (
            tag == _MAP
            and isinstance(node, yaml.MappingNode)
            and all(k.tag == _STR and isinstance(k, yaml.ScalarNode) for k, _ in node.value)
        ):
            data = {}
            for key, value in node.value:
                data[key.value] = self.build(value, path + (key.value,))
                self._key_line(path, key)
        else:
            data = self.loader.construct_object(node, deep=True)
            self._lines_only(node, path)
        return data

    def _key_line(self, path: Path_, key: yaml.Node) -> None:
        """A mapping entry is on its key's line, not its value's (which may start below)."""
        self.lines[path + (key.value,)] = key.start_mark.line + self.offset

    def _lines_only(self, node: yaml.Node, path: Path_) -> None:
        """The lines below a node PyYAML built (keys as written, as for the others)."""
        self.lines[path] = node.start_mark.line + self.offset
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            return
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self._lines_only(value, path + (key.value,))
                self._key_line(path, key)
        else:
            for i, item in enumerate(node.value):
                self._lines_only(item, path + (i,))


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def field_name(path: Path_) -> str:
    """('tools', 0, 'id') -> 'tools[0].id'"""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
