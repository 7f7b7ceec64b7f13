"""YAML loading that remembers the source line of every value.

Errors about a field (an unknown tool id, a bad date) can then point at the
line the editor has to change, not only at the file.
"""

from __future__ import annotations

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


class YamlSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def load(text: str, first_line: int = 1) -> tuple[Any, dict[Path_, int]]:
    """Parse `text`; return the data and a map from key paths to 1-based lines.

    `first_line` is the line of `text`'s first line in its file (front matter
    starts after the opening `---`).
    """
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
    finally:
        loader.dispose()
    return data, lines


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
        self.done: dict[int, Any] = {}  # an alias is the same node: build it once
        self.open: set[int] = set()  # nodes being built or walked: an alias to one loops

    def _enter(self, node: yaml.Node) -> None:
        if id(node) in self.open:
            raise yaml.constructor.ConstructorError(
                None, None, "an alias (*name) refers to the structure that contains it", node.start_mark
            )
        self.open.add(id(node))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.lines[path] = node.start_mark.line + self.offset
        known = self.done.get(id(node), self)
        if known is not self:
            self._lines_only(node, path)
            return known
        tag = node.tag
        if tag == _STR and isinstance(node, yaml.ScalarNode):
            data: Any = node.value
        elif tag == _SEQ and isinstance(node, yaml.SequenceNode):
            self._enter(node)
            data = [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        elif (
            tag == _MAP
            and isinstance(node, yaml.MappingNode)
            and all(k.tag == _STR and isinstance(k, yaml.ScalarNode) for k, _ in node.value)
        ):
            self._enter(node)
            data = {}
            for key, value in node.value:
                data[key.value] = self.build(value, path + (key.value,))
                self._key_line(path, key)
        else:
            data = self.loader.construct_object(node, deep=True)
            self._lines_only(node, path)
        self.done[id(node)] = data
        self.open.discard(id(node))
        return data

    def _key_line(self, path: Path_, key: yaml.Node) -> None:
        """A mapping entry is on its key's line, not its value's (which may start below)."""
        self.lines[path + (key.value,)] = key.start_mark.line + self.offset

    def _lines_only(self, node: yaml.Node, path: Path_) -> None:
        """The lines below a node built elsewhere (keys as written, as for the others)."""
        self.lines[path] = node.start_mark.line + self.offset
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            return
        self._enter(node)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self._lines_only(value, path + (key.value,))
                self._key_line(path, key)
        else:
            for i, item in enumerate(node.value):
                self._lines_only(item, path + (i,))
        self.open.discard(id(node))


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
