"""Finding a register map by the name a bench gives it: a map shipped with labctl
(``labctl/data/<folder>/<name>.yaml``, a family's folder such as ``particulate/modbus``)
or a map file written by the lab (a path, relative to the bench file).

Both a driver and its simulator resolve the bench's ``register_map:`` here, so they
read the same file the same way.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from labctl.errors import ConfigError
from labctl.protocols.registers import RegisterMap, register_map

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class FoundMap(NamedTuple):
    """A register map, where it came from (``labctl/data/...`` or the file's path) and
    its YAML data with locations (for errors naming a register's line)."""

    registers: RegisterMap
    source: str
    data: Any


def shipped_maps(folder: str) -> list[str]:
    """The names of the register maps shipped in ``labctl/data/<folder>/``."""
    try:
        entries = resources.files("labctl.data").joinpath(folder).iterdir()
        return sorted(e.name[:-5] for e in entries if e.name.endswith(".yaml"))
    except (FileNotFoundError, NotADirectoryError):
        return []


def is_path(value: str) -> bool:
    """Whether a ``register_map:`` value names a file rather than a shipped map."""
    return "/" in value or "\\" in value or value.endswith((".yaml", ".yml"))


def find_register_map(value: Any, folder: str, *, options: Any = None,
                      where: str = "") -> FoundMap:
    """The register map ``value`` names and where it came from. A plain name (``labctl-
    pm-100m``) is a map shipped in ``labctl/data/<folder>/``; anything else a file path,
    relative to the file the ``options`` mapping was read from (its ``mark``: the bench
    file) when not absolute. Errors inside a map name its file and line; ``where`` is
    the place of the ``register_map:`` option itself (a name or file not found)."""
    from labctl.yamlio import load_yaml, loads_yaml

    text = str(value).strip() if value is not None else ""
    if not text:
        raise ConfigError("register_map is empty", where=where or None,
                          hint="name a shipped map or the path of a map file")
    if not is_path(text):
        known = ", ".join(shipped_maps(folder)) or "none"
        source = f"labctl/data/{folder}/{text}.yaml"
        if not _NAME.match(text):
            raise ConfigError(f"bad register map name {text!r}", where=where or None,
                              hint=f"shipped maps: {known}; or give the path of a map file")
        try:
            data = resources.files("labctl.data").joinpath(f"{folder}/{text}.yaml") \
                .read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            raise ConfigError(f"no shipped register map {text!r}", where=where or None,
                              hint=f"shipped maps ({folder}): {known}; or give the path "
                                   "of a map file (relative to the bench file)") from None
        located = loads_yaml(data, source)
        return FoundMap(register_map(_mapping(located, source), source), source, located)
    path = Path(text).expanduser()
    mark = getattr(options, "mark", None)
    if not path.is_absolute() and getattr(mark, "file", None):
        path = Path(mark.file).parent / path
    if not path.is_file():
        raise ConfigError(f"register map file {str(path)!r} not found", where=where or None,
                          hint="a path is relative to the bench file; or name a map "
                               f"shipped in labctl/data/{folder}/")
    located = load_yaml(path)
    return FoundMap(register_map(_mapping(located, str(path)), str(path)), str(path), located)


def _mapping(data: Any, source: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError("a register map is a mapping with a 'registers' key", where=source)
    return data
