"""YAML as data, with the file, line and column of every key and item kept.

Every file a user writes (budget, bench, register, procedure) is read through
``load_yaml``. The mappings and lists it returns are ordinary ``dict`` and ``list``
subclasses that remember where each key and item stood, so any later check can say
``bench.yaml:12:5: ...``. Nothing is ever evaluated: only YAML's safe types load.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from labctl.errors import ConfigError


class Mark:
    """A place in a file: 1-based line and column."""

    __slots__ = ("file", "line", "column")

    def __init__(self, file: str, line: int, column: int):
        self.file, self.line, self.column = file, line, column

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def __repr__(self) -> str:
        return f"Mark({self})"


class LocatedDict(dict):
    """A mapping that knows where it and each of its keys stand in the file."""

    mark: Mark
    key_marks: dict[Any, Mark]

    def where(self, key: Any | None = None) -> str:
        if key is not None and key in self.key_marks:
            return str(self.key_marks[key])
        return str(self.mark)


class LocatedList(list):
    """A sequence that knows where it and each of its items stand in the file."""

    mark: Mark
    item_marks: list[Mark]

    def where(self, index: int | None = None) -> str:
        if index is not None and 0 <= index < len(self.item_marks):
            return str(self.item_marks[index])
        return str(self.mark)


def _mark(file: str, node: yaml.Node) -> Mark:
    return Mark(file, node.start_mark.line + 1, node.start_mark.column + 1)


# libyaml's parser when PyYAML was built with it (about 5x faster on a bench file); the
# construction below, which keeps the marks, is the same Python code either way.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type, misc]
    """SafeLoader that builds LocatedDict/LocatedList and refuses duplicate keys."""

    labctl_file = "<string>"

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        self.flatten_mapping(node)
        result = LocatedDict()
        result.mark = _mark(self.labctl_file, node)
        result.key_marks = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError as exc:
                raise ConfigError(
                    "a mapping key must be a plain value",
                    where=str(_mark(self.labctl_file, key_node)),
                ) from exc
            if key in result:
                raise ConfigError(
                    f"duplicate key {key!r} (first at line {result.key_marks[key].line})",
                    where=str(_mark(self.labctl_file, key_node)),
                    hint="remove one of the two",
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.key_marks[key] = _mark(self.labctl_file, key_node)
        return result

    def construct_sequence(self, node, deep=False):  # type: ignore[override]
        result = LocatedList(self.construct_object(child, deep=True) for child in node.value)
        result.mark = _mark(self.labctl_file, node)
        result.item_marks = [_mark(self.labctl_file, child) for child in node.value]
        return result

    def construct_yaml_timestamp(self, node):  # type: ignore[override]
        # "2027-13-01" looks like a date to YAML but is none: say where, do not crash.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise ConfigError(f"{node.value!r} is not a valid date ({exc})",
                              where=str(_mark(self.labctl_file, node)),
                              hint="write dates as YYYY-MM-DD") from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)


def loads_yaml(text: str, file: str = "<string>") -> Any:
    """Parse YAML text; errors become ``ConfigError`` with ``file:line:column``."""
    loader = _Loader(text)
    loader.labctl_file = file
    try:
        return loader.get_single_data()
    except ConfigError:
        raise
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: not text
        line, column = _line_column(text, exc.position)
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        raise ConfigError(f"not a text file: character U+{code:04X} is not allowed in YAML",
                          where=f"{file}:{line}:{column}",
                          hint="is it the right file? save it as UTF-8 text") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        problem = exc.problem or exc.context or "malformed YAML"
        raise ConfigError(f"malformed YAML: {problem}", where=where) from exc
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"malformed YAML: {first}", where=file) from exc
    finally:
        loader.dispose()


def _line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of the character at ``position`` of ``text``."""
    before = text[:max(position, 0)]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def read_yaml_file(path: str | Path, what: str = "file") -> tuple[Any, bytes]:
    """Read and parse a YAML file, keeping locations; returns the data and the file's
    bytes (to hash exactly what was parsed). A missing or unreadable file, one that is
    not UTF-8 text (a binary, a file saved as Latin-1 or UTF-16) or not YAML is one
    ``ConfigError`` naming the file; ``what`` names the kind of file in the message."""
    from labctl.errors import read_bytes

    p = Path(path)
    content = read_bytes(p, ConfigError, missing=f"{what} not found",
                         unreadable=f"cannot read the {what}", hint="check the path")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        column = exc.start - (content.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"the {what} is not UTF-8 text: byte 0x{content[exc.start]:02x} "
                          f"cannot be read", where=f"{p}:{line}:{column}",
                          hint=_not_utf8_hint(content)) from None
    return loads_yaml(text, str(p)), content


def _not_utf8_hint(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "it is UTF-16: save it as UTF-8"
    if b"\x00" in content[:1024]:
        return "it looks like a binary file: is it the right file?"
    return "save it as UTF-8; it may be in a legacy encoding such as Latin-1 or GBK"


def load_yaml(path: str | Path, what: str = "file") -> Any:
    """Read and parse a YAML file, keeping locations (see ``read_yaml_file``)."""
    return read_yaml_file(path, what)[0]


def where(data: Any, path: Iterable[Any], default: str = "") -> str:
    """The ``file:line:column`` of the deepest located node along ``path``.

    ``path`` is a sequence of keys and indexes, as in a pydantic error's ``loc``.
    Walking stops at the first step that does not exist; the last known place wins.
    """
    best = default
    node = data
    if isinstance(node, LocatedDict | LocatedList):
        best = node.where()
    for step in path:
        in_dict = isinstance(node, LocatedDict) and step in node
        in_list = (isinstance(node, LocatedList) and isinstance(step, int)
                   and 0 <= step < len(node))
        if in_dict or in_list:
            best = node.where(step)
            node = node[step]
        else:
            break
    return best


def validation_error(exc: Any, data: Any, file: str) -> ConfigError:
    """Turn a pydantic ``ValidationError`` into one ConfigError at the first bad place."""
    first = exc.errors()[0]
    loc = tuple(first.get("loc", ()))
    key = ".".join(str(p) for p in loc) or "(top level)"
    msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    count = len(exc.errors())
    more = f" (and {count - 1} more problem{'s' if count > 2 else ''})" if count > 1 else ""
    return ConfigError(f"{key}: {msg}{more}", where=where(data, loc, default=file))
