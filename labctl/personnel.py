"""The lab's personnel list: who may operate, review and approve, for which procedures
(ISO/IEC 17025 6.2.5 and 6.2.6: the lab authorises personnel for specific activities,
among them performing the work, reviewing results and authorising them, and keeps a
record of those authorisations).

The list is one YAML file kept with the lab's other files (like the register): a bench
names it (``personnel: personnel.yaml``, relative to the bench file) so ``labctl run``
refuses an operator who is not authorised for the procedure; the registry service is
given it (``labctl registry serve --personnel FILE``) and ``labctl registry review`` /
``approve`` on a database URL read it (``--personnel FILE``, env ``LABCTL_PERSONNEL``,
default ``<labctl home>/personnel.yaml``) to check reviewers and approvers. Format::

    lab: City Institute of Metrology, mass laboratory
    people:
      - id: lwang                       # short id, unique: [a-z0-9._-]
        name: L. Wang                   # unique in the list; what records carry
        title: Calibration engineer     # optional, printed beside a signatory
        roles: [operator]               # operator, reviewer, approver
        public_key: 3q2+7w...=          # optional: their own Ed25519 key (base64)
        authorisations:                 # per procedure id (glob patterns allowed)
          - procedure: scale-jjg539
            roles: [operator]
            from: 2025-01-06            # optional validity
            until: 2027-01-05
            by: mchen                   # who authorised it (optional, recorded)

A person's ``roles`` say what they may ever do; an authorisation grants some of those
roles for the procedures it names, within its dates. Every problem is a ``ConfigError``
naming ``file:line:column``.

A person may carry their own Ed25519 public key (``public_key:``, base64 of the 32 raw
bytes, like the lab keys; ``labctl registry key person ID`` makes the pair in their
labctl home and prints the line). Their reviews and approvals must then carry their
personal signature beside the lab's or the service's (``labctl.registry.review_entry``);
people without a key act as before.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from labctl.errors import ConfigError
from labctl.yamlio import read_yaml_file, validation_error, where

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Role = Literal["operator", "reviewer", "approver"]
ROLES: tuple[str, ...] = ("operator", "reviewer", "approver")
PERSONNEL_ENV = "LABCTL_PERSONNEL"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Authorisation(_Model):
    procedure: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1)
    valid_from: date | None = Field(default=None, alias="from")
    until: date | None = None
    by: str | None = None

    @model_validator(mode="after")
    def _dates(self) -> _Authorisation:
        if self.valid_from and self.until and self.until < self.valid_from:
            raise ValueError("until is before from")
        return self


class _Person(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    title: str = ""
    roles: list[Role] = Field(min_length=1)
    authorisations: list[_Authorisation] = Field(default_factory=list)
    active: bool = True
    public_key: str | None = Field(default=None, max_length=100)

    @field_validator("public_key")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        if value is not None:
            public_key_from_text(value)
        return value


class _File(_Model):
    lab: str | None = None
    people: list[_Person] = Field(min_length=1)


@dataclass(frozen=True)
class Person:
    """One person of the list, as an act names them."""

    id: str
    name: str
    title: str
    roles: tuple[str, ...]
    public_key: str | None = None  # base64 Ed25519 public key: acts must be signed by it

    def to_dict(self) -> dict[str, str]:
        """What an entry carries of the person (the key is checked, not copied)."""
        return {"id": self.id, "name": self.name, "title": self.title}


class NotAuthorised(ConfigError):
    """A person who is not on the list, or not authorised for the act."""


@dataclass(frozen=True)
class Personnel:
    """The checked list. ``sha256`` is the file's hash: acts record which list they were
    checked against."""

    path: Path
    sha256: str
    lab: str | None
    _people: tuple[_Person, ...]
    _places: dict[str, str]

    @property
    def people(self) -> list[Person]:
        return [_public(p) for p in self._people]

    def find(self, ref: str) -> Person | None:
        """The person whose id, or name (case and spacing ignored), is ``ref``."""
        p = self._find(ref)
        return None if p is None else _public(p)

    def public_key_of(self, person_id: str) -> Ed25519PublicKey | None:
        """The public key the list gives for the person ``person_id``; None: none."""
        p = self._find(person_id)
        return None if p is None or p.public_key is None else public_key_from_text(
            p.public_key)

    def place_of(self, person_id: str) -> str:
        """Where the person is in the list (``file:line:column``)."""
        return self._places.get(person_id, str(self.path))

    def _find(self, ref: str) -> _Person | None:
        key = " ".join(ref.split()).casefold()
        for p in self._people:
            if p.id == key or " ".join(p.name.split()).casefold() == key:
                return p
        return None

    def authorise(self, ref: str, role: str, procedure_id: str, on: date) -> Person:
        """The person ``ref`` if they hold ``role`` for ``procedure_id`` on ``on``; else
        ``NotAuthorised`` saying what is missing and where in the list."""
        p = self._find(ref)
        if p is None:
            known = ", ".join(f"{q.id} ({q.name})" for q in self._people[:8])
            raise NotAuthorised(f"{ref!r} is not on the personnel list", where=str(self.path),
                                hint=f"give a person's id or name: {known}")
        place = self._places.get(p.id, str(self.path))
        if not p.active:
            raise NotAuthorised(f"{p.name} ({p.id}) is not active", where=place,
                                hint="an active person of the list must act")
        if role not in p.roles:
            raise NotAuthorised(f"{p.name} ({p.id}) does not hold the role {role} "
                                f"(roles: {', '.join(p.roles)})", where=place,
                                hint=f"ask someone who is a{'n' if role[0] in 'aeo' else ''} "
                                f"{role}, or add the role to the list")
        for a in p.authorisations:
            if role not in a.roles or not fnmatch.fnmatchcase(procedure_id, a.procedure):
                continue
            if (a.valid_from and on < a.valid_from) or (a.until and on > a.until):
                continue
            return _public(p)
        lapsed = [a for a in p.authorisations
                  if role in a.roles and fnmatch.fnmatchcase(procedure_id, a.procedure)]
        why = (f"whose authorisation for it is not valid on {on.isoformat()}" if lapsed
               else "who is not authorised for it")
        raise NotAuthorised(f"{p.name} ({p.id}) may not act as {role} for procedure "
                            f"{procedure_id!r}, {why}", where=place,
                            hint="the lab authorises people per procedure (ISO/IEC 17025 "
                            "6.2.5): add an authorisation to the personnel list")


def _public(p: _Person) -> Person:
    return Person(p.id, p.name, p.title, tuple(p.roles), p.public_key)


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from base64 of its 32 raw bytes; ValueError saying what is
    wrong otherwise (a pydantic validator turns it into file:line)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("public_key: not base64 (give the line labctl registry key "
                         "person prints)") from None
    if len(raw) != 32:
        raise ValueError(f"public_key: an Ed25519 public key is 32 bytes, this is {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_personnel(path: str | Path) -> Personnel:
    """Read and check a personnel list (see the module doc)."""
    p = Path(path)
    data, content = read_yaml_file(p, "personnel list")
    file = str(p)
    if not isinstance(data, dict):
        raise ConfigError("a personnel list is a mapping with people: [...]", where=file)
    try:
        model = _File.model_validate(data)
    except pydantic.ValidationError as exc:
        raise validation_error(exc, data, file) from None
    ids: dict[str, int] = {}
    names: dict[str, int] = {}
    places: dict[str, str] = {}
    for i, person in enumerate(model.people):
        place = where(data, ("people", i), file)
        name = " ".join(person.name.split()).casefold()
        if person.id in ids or name in names or person.id in names or name in ids:
            raise ConfigError(f"person {person.id!r} ({person.name}) is on the list twice "
                              "(ids and names must each name one person)", where=place)
        ids[person.id], names[name] = i, i
        places[person.id] = place
        for j, a in enumerate(person.authorisations):
            extra = sorted(set(a.roles) - set(person.roles))
            if extra:
                raise ConfigError(f"person {person.id!r}: an authorisation grants "
                                  f"{', '.join(extra)}, a role the person does not hold",
                                  where=where(data, ("people", i, "authorisations", j), file),
                                  hint="add the role to the person's roles, or remove it")
    return Personnel(p, hashlib.sha256(content).hexdigest(), model.lab,
                     tuple(model.people), places)


def default_personnel_path() -> Path:
    """``LABCTL_PERSONNEL``, else ``<labctl home>/personnel.yaml``."""
    import os

    override = os.environ.get(PERSONNEL_ENV, "").strip()
    if override:
        return Path(override).expanduser().resolve()
    from labctl.paths import labctl_home

    return labctl_home() / "personnel.yaml"


def personnel_from(path: Path | None) -> Personnel | None:
    """The list at ``path``; ``None``: the default file when it exists, else None."""
    if path is None:
        path = default_personnel_path()
        if not path.exists():
            return None
    return load_personnel(path)
