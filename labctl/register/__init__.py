"""The lab's equipment register: reference standards and measuring instruments.

One YAML file, shared by every bench of the lab (format in ``docs/benches.md``)::

    lab: City Institute of Metrology, mass laboratory
    instruments:
      - id: TH-01
        kind: thermohygrometer
        serial: TH100-2025-0173
        certificate: TC-2025-0988
        ...
        quantities:
          temperature: {U: 0.2 degC, k: 2}
          humidity: {U: 2.0 %, k: 2}
    weight_sets:            # the weighing family's kind (labctl.register.weighing)
      - ...

Each top-level key other than ``lab`` is a register entry kind, a plug-in of the
``labctl.register_kinds`` group (``labctl.register.kinds``): the core brings
``instruments``, a family brings its own (``weight_sets``, ``cylinders``...). An entry
made of separately identified parts (a weight set's weights, ``SET/ITEM``) exposes them
through ``Standard.parts()``, and the register looks them up by id like entries.

Loading checks everything once (units, dates, certificates, unique ids across kinds)
and reports the first bad place as ``file:line:col``; the objects it returns are plain
immutable data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pydantic

from labctl.errors import ConfigError
from labctl.register.entries import (
    Certificate,
    MeasuringInstrument,
    QuantityCertificate,
    Standard,
)
from labctl.register.kinds import REGISTER_KINDS, EntryPlace
from labctl.yamlio import read_yaml_file, validation_error, where


class Register:
    """The loaded register. Look entries (``standard``) and their parts (``part``) up by
    id, instruments by serial."""

    def __init__(self, path: Path, text: str, lab: str | None, entries: Iterable[Standard]):
        self.path = path
        self.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.lab = lab
        self._standards: dict[str, Standard] = {}
        self._parts: dict[str, tuple[Any, str]] = {}  # part id -> (part, owner id)
        for entry in entries:
            self._standards[entry.id] = entry
            for part in entry.parts():
                self._parts[part.id] = (part, entry.id)

    # -- lookups -------------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        """Every top-level id, in file order."""
        return list(self._standards)

    def __contains__(self, id: object) -> bool:
        return id in self._standards or id in self._parts

    def __iter__(self) -> Iterator[Standard]:
        return iter(self._standards.values())

    def standard(self, id: str) -> Standard:
        """The top-level entry registered as ``id``."""
        try:
            return self._standards[id]
        except KeyError:
            raise self._unknown(id, self._standards) from None

    def part(self, id: str) -> Any:
        """The part registered as ``id`` (a weight ``SET/ITEM``)."""
        try:
            return self._parts[id][0]
        except KeyError:
            raise self._unknown(id, self._parts) from None

    def parts(self, id: str) -> tuple[Any, ...]:
        """The parts an id stands for: all of an entry's, or the one part."""
        if id in self._parts:
            return (self._parts[id][0],)
        return self.standard(id).parts()

    def instrument(self, id: str) -> MeasuringInstrument:
        entry = self.standard(id)
        if not isinstance(entry, MeasuringInstrument):
            raise ConfigError(f"{id!r} is a {entry.title}, not a measuring instrument",
                              where=entry.where)
        return entry

    def by_serial(self, serial: str) -> Standard | None:
        """The entry whose serial number is ``serial`` (None if no entry has it)."""
        for entry in self._standards.values():
            if getattr(entry, "serial", None) == serial:
                return entry
        return None

    def owner(self, id: str) -> Standard:
        """The top-level entry holding ``id`` (the set of a weight, or the entry itself)."""
        if id in self._parts:
            return self.standard(self._parts[id][1])
        return self.standard(id)

    def _unknown(self, id: str, known: dict[str, Any]) -> ConfigError:
        names = ", ".join(list(known)[:12]) + (", ..." if len(known) > 12 else "")
        return ConfigError(f"no entry {id!r} in the register", where=str(self.path),
                           hint=f"known ids: {names or 'none'}")


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------


def load_register(path: str | Path) -> Register:
    """Read and check a register file. Any problem is a ``ConfigError`` at ``file:line:col``."""
    p = Path(path)
    data, content = read_yaml_file(p, "register file")
    text = content.decode("utf-8")
    kinds = REGISTER_KINDS.names()
    if not isinstance(data, dict):
        raise ConfigError(f"a register file is a mapping with lab and {', '.join(kinds)}",
                          where=str(p))
    seen: dict[str, str] = {}

    def claim(id: str, loc: tuple[Any, ...]) -> str:
        place = where(data, loc, str(p))
        if id in seen:
            raise ConfigError(f"register id {id!r} is used twice (first at {seen[id]})",
                              where=place, hint="give every entry its own id")
        seen[id] = place
        return place

    lab = data.get("lab")
    if lab is not None and not isinstance(lab, str):
        raise ConfigError("lab: the laboratory's name is text", where=where(data, ("lab",), str(p)))
    entries: list[Standard] = []
    for key, items in data.items():
        if key == "lab":
            continue
        if key not in REGISTER_KINDS:
            raise ConfigError(f"unknown register entry kind {key!r}",
                              where=where(data, (key,), str(p)),
                              hint=f"known kinds: {', '.join(kinds) or 'none'} (a family adds "
                                   "its kinds through the labctl.register_kinds entry points)")
        kind = REGISTER_KINDS.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            raise ConfigError(f"{key}: a list of {kind.title}s", where=where(data, (key,), str(p)))
        for i, item in enumerate(items):
            try:
                fields = kind.fields.model_validate(item)
            except pydantic.ValidationError as exc:
                raise _at(validation_error(exc, item, str(p)), data, (key, i), str(p)) from None
            entries.append(kind.build(fields, EntryPlace(data, (key, i), str(p), claim)))
    return Register(p, text, lab, entries)


def _at(err: ConfigError, data: Any, loc: tuple[Any, ...], file: str) -> ConfigError:
    """A validation error of one entry, placed in the whole file (and named by its key)."""
    first = err.where
    key = ".".join(str(x) for x in loc)
    if not first or first == file:
        first = where(data, loc, file)
    return ConfigError(f"{key}.{err.message}", where=first, hint=err.hint)


__all__ = [
    "Certificate", "MeasuringInstrument", "QuantityCertificate", "Register", "Standard",
    "load_register",
]
