"""The bench file: which instruments sit where, in which role, with which standards.

``load_bench(path)`` only reads and checks (the bench file and the register it names);
nothing is opened. Every problem is a ``ConfigError`` naming ``file:line:col``. The
format is described in ``docs/benches.md``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from labctl.errors import ConfigError, RunError
from labctl.register import MeasuringInstrument, Register, load_register
from labctl.yamlio import read_yaml_file, validation_error, where

if TYPE_CHECKING:
    from labctl.bench.declared import DeclaredBench
    from labctl.bench.runtime import Bench
    from labctl.clock import Clock
    from labctl.drivers.capabilities import EnvironmentReading
    from labctl.transport.base import TransportOptions

# Keys of an instrument's ``options`` that set up the transport; the rest go to the driver.
TRANSPORT_KEYS = ("read_termination", "write_termination", "encoding", "timeout", "baud_rate",
                  "visa_backend")
TRANSPORT_ALIASES = {"baud": "baud_rate", "baudrate": "baud_rate", "backend": "visa_backend"}


def _mapping(value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping of name: value")
    return value  # kept as loaded, so later checks still know file:line:col


RawMapping = Annotated[Any, AfterValidator(_mapping)]
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Instrument(_Model):
    driver: Name
    resource: str | None = Field(default=None, min_length=1)
    role: Name | None = None
    serial: str | None = None
    options: RawMapping = Field(default_factory=dict)
    sim: RawMapping = Field(default_factory=dict)
    retries: int | None = Field(default=None, ge=0, le=10, strict=True)


class _Environment(_Model):
    instrument: Name | None = None
    temperature: str | float | None = None
    humidity: str | float | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> _Environment:
        stated = self.temperature is not None or self.humidity is not None
        if self.instrument is not None and stated:
            raise ValueError("give either instrument or stated values (temperature, humidity), "
                             "not both")
        if self.instrument is None and not stated:
            raise ValueError("give instrument: NAME, or stated temperature and/or humidity")
        return self


def _country(v: str | None) -> str | None:
    if v is not None and not re.fullmatch(r"[A-Z]{2}", v):
        raise ValueError(f"{v!r} is not a country code: give the ISO 3166-1 two-letter "
                         "code, e.g. CN")
    return v


def _prefix(v: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?", v):
        raise ValueError(f"{v!r}: a certificate number prefix is letters, digits and "
                         "inner hyphens, e.g. CIM-M")
    return v


Country = Annotated[str | None, AfterValidator(_country)]


class _Issuer(_Model):
    """The issuing laboratory's details for certificates (its name is ``lab``)."""

    address: str = ""
    city: str = ""
    country: Country = None
    accreditation: str = ""
    number_prefix: Annotated[str, AfterValidator(_prefix)] = "LC"


class _Customer(_Model):
    name: str = Field(min_length=1)
    address: str = ""
    city: str = ""
    country: Country = None


class _Place(_Model):
    kind: Literal["laboratory", "laboratoryBranch", "customer", "customerBranch",
                  "other"] = "laboratory"
    address: str = ""


class _BenchFile(_Model):
    name: Name | None = None
    description: str | None = None
    lab: str = Field(min_length=1)
    operator: str = Field(min_length=1)
    register_file: str = Field(alias="register", min_length=1)
    personnel_file: str | None = Field(default=None, alias="personnel", min_length=1)
    seed: int = 0
    instruments: dict[Name, _Instrument] = Field(min_length=1)
    standards: list[str] = Field(default_factory=list)
    environment: _Environment | None = None
    issuer: _Issuer | None = None
    customer: _Customer | None = None
    place: _Place | None = None


@dataclass(frozen=True)
class InstrumentConfig:
    """One instrument of the bench, checked. ``sim`` and ``faults`` keep their file places."""

    name: str
    driver: str
    resource: str | None              # None: a driver that needs no connection
    needs_transport: bool
    role: str | None
    transport: TransportOptions
    options: Mapping[str, Any]        # for the driver (data plate and the like)
    serial: str | None                # the serial number identify() must report, if known
    register_id: str | None           # the register entry of this instrument, if any
    sim: Mapping[str, Any]            # simulator parameters, without ``faults``
    faults: Any                       # the fault plan as written (None: no faults)
    where: str                        # file:line:col of the instrument's entry
    places: Mapping[str, str] = field(default_factory=dict)  # key -> file:line:col
    retries: int = 2  # idempotent queries tried again after a transient error

    def place(self, key: str) -> str:
        """Where ``key`` (driver, resource, role, serial, options, sim) of this entry is."""
        return self.places.get(key, self.where)

    @property
    def simulated(self) -> bool:
        return (self.needs_transport and self.resource is not None
                and self.resource.startswith("sim://"))

    @property
    def simulator(self) -> str | None:
        """The simulator name of a ``sim://NAME`` resource (None for real hardware)."""
        return self.resource.split("://", 1)[1] if self.resource and self.simulated else None


@dataclass
class BenchConfig:
    """A checked bench file. ``open()`` builds it; nothing here touches an instrument."""

    path: Path
    sha256: str
    name: str
    lab: str
    operator: str
    seed: int
    register: Register
    instruments: dict[str, InstrumentConfig]
    standards: tuple[str, ...]
    environment_instrument: str | None
    environment_stated: EnvironmentReading | None
    description: str | None = None
    places: dict[str, str] = field(default_factory=dict)  # "standards", "instruments", ...
    # for certificates: the issuing lab's details, the default customer and place
    issuer: dict[str, Any] = field(default_factory=dict)
    customer: dict[str, Any] | None = None
    place: dict[str, Any] = field(default_factory=lambda: {"kind": "laboratory"})
    # the lab's personnel list (labctl.personnel.Personnel), when the bench names one
    personnel: Any = None

    # -- what the bench uses of the register ----------------------------------------
    def standard_parts(self) -> tuple[Any, ...]:
        """Every separately identified part of the bench's standards (the weights of its
        weight sets), in the order of ``standards``, each once."""
        seen: dict[str, Any] = {}
        for id in self.standards:
            for part in self.register.parts(id):
                seen.setdefault(part.id, part)
        return tuple(seen.values())

    def used_entries(self) -> list[str]:
        """Top-level register ids this bench relies on: its standards and the register
        entries of its instruments (whose certificates must be valid too)."""
        ids: list[str] = []
        for id in self.standards:
            owner = self.register.owner(id).id
            if owner not in ids:
                ids.append(owner)
        for inst in self.instruments.values():
            if inst.register_id and inst.register_id not in ids:
                ids.append(inst.register_id)
        return ids

    def check_expiry(self, today: date | None = None,
                     allow_expired: str | None = None) -> list[str]:
        """Refuse (``RunError``) a used standard whose due date is before ``today``,
        unless ``allow_expired`` gives a reason; return the ids of expired ones accepted."""
        day = today or date.today()
        expired = []
        for id in self.used_entries():
            entry = self.register.standard(id)
            if entry.expired(day):
                if not allow_expired:
                    raise RunError(
                        f"standard {id!r} is out of calibration: due {entry.due.isoformat()}, "
                        f"today is {day.isoformat()} (bench {self.path})",
                        where=entry.due_where,
                        hint="recalibrate it and update the register, or run with "
                             "--allow-expired REASON",
                    )
                expired.append(id)
        return expired

    # -- roles ------------------------------------------------------------------------
    def role_names(self) -> dict[str, str]:
        """role -> instrument name."""
        return {i.role: i.name for i in self.instruments.values() if i.role}

    def check_roles(self, required: Mapping[str, str],
                    optional: set[str] | frozenset[str] = frozenset()) -> None:
        """Check, before anything is opened, that every role a procedure needs is bound
        to a driver declaring the capability. ``required`` maps role -> capability name;
        roles in ``optional`` may be absent."""
        from labctl.bench.roles import check_binding, driver_capabilities

        bound = self.role_names()
        for role, capability in required.items():
            if role not in bound:
                if role in optional:
                    continue
                raise RunError(
                    f"the bench has no instrument in role {role!r} (capability {capability!r}) "
                    f"that the procedure needs; its roles: {', '.join(sorted(bound)) or 'none'}",
                    where=self.places.get("instruments", str(self.path)),
                    hint=f"add an instrument with role: {role}",
                )
            inst = self.instruments[bound[role]]
            check_binding(role, capability, inst.driver, driver_capabilities(inst.driver),
                          where=self.places.get(f"role:{role}", str(self.path)))

    # -- building -----------------------------------------------------------------------
    def open(self, clock: Clock, *, seed: int | None = None, allow_expired: str | None = None,
             today: date | None = None) -> Bench:
        """Build the bench: the seeded world, simulators, transports and drivers.

        Refuses an expired standard first (``RunError``) unless ``allow_expired`` gives
        the reason, which the returned ``Bench`` keeps for the record.
        """
        from labctl.bench.runtime import open_bench

        return open_bench(self, clock, seed=seed, allow_expired=allow_expired, today=today)

    def declared(self, *, seed: int | None = None, allow_expired: str | None = None,
                 today: date | None = None) -> DeclaredBench:
        """The bench as the file declares it, to plan a run without opening anything
        (``labctl run --dry-run``): the standards are checked as ``open`` checks them,
        and the drivers are built from their options on lines that refuse to send."""
        from labctl.bench.declared import declared_bench

        return declared_bench(self, seed=seed, allow_expired=allow_expired, today=today)


# ---------------------------------------------------------------------------------------


def load_bench(path: str | Path) -> BenchConfig:
    """Read and check a bench file and its register; nothing is opened."""
    p = Path(path)
    data, content = read_yaml_file(p, "bench file")
    file = str(p)
    if not isinstance(data, dict):
        raise ConfigError("a bench file is a mapping with lab, operator, register, "
                          "instruments, standards and environment", where=file)
    try:
        model = _BenchFile.model_validate(data)
    except pydantic.ValidationError as exc:
        raise validation_error(exc, data, file) from None

    register = _load_register(p, model.register_file, where(data, ("register",), file))
    places = {"instruments": where(data, ("instruments",), file),
              "standards": where(data, ("standards",), file)}
    for i, id in enumerate(model.standards):
        if id not in register:
            raise ConfigError(f"standard {id!r} is not in the register {register.path}",
                              where=where(data, ("standards", i), file),
                              hint=f"known ids: {', '.join(register.ids)}")

    instruments: dict[str, InstrumentConfig] = {}
    roles: dict[str, str] = {}
    for name, inst in model.instruments.items():
        loc = ("instruments", name)
        ic = _instrument(name, inst, data["instruments"][name], register, data, loc, file)
        if ic.role:
            if ic.role in roles:
                raise ConfigError(f"role {ic.role!r} is given to both {roles[ic.role]!r} and "
                                  f"{name!r}", where=where(data, (*loc, "role"), file),
                                  hint="one instrument per role")
            roles[ic.role] = name
            places[f"role:{ic.role}"] = where(data, (*loc, "role"), file)
        instruments[name] = ic

    env_instrument, env_stated = _environment(model.environment, instruments, data, file)
    personnel = None
    if model.personnel_file is not None:
        personnel = _load_personnel(p, model.personnel_file, where(data, ("personnel",), file))
    return BenchConfig(
        path=p, sha256=hashlib.sha256(content).hexdigest(), name=model.name or p.stem,
        lab=model.lab, operator=model.operator, seed=model.seed, register=register,
        instruments=instruments, standards=tuple(model.standards),
        environment_instrument=env_instrument, environment_stated=env_stated,
        description=model.description, places=places,
        issuer=model.issuer.model_dump() if model.issuer else {},
        customer=model.customer.model_dump() if model.customer else None,
        place=model.place.model_dump() if model.place else {"kind": "laboratory"},
        personnel=personnel,
    )


def _load_personnel(bench_path: Path, text: str, place: str) -> Any:
    from labctl.personnel import load_personnel

    return load_personnel(_beside_bench(bench_path, text, place, "personnel list",
                                        "personnel"))


def _load_register(bench_path: Path, text: str, place: str) -> Register:
    return load_register(_beside_bench(bench_path, text, place, "register file", "register"))


def _beside_bench(bench_path: Path, text: str, place: str, what: str, key: str) -> Path:
    """The file a bench key names (relative to the bench file), which must exist."""
    path = Path(text)
    if not path.is_absolute():
        path = bench_path.parent / path
    if not path.is_file():
        raise ConfigError(f"{what} {str(path)!r} not found", where=place,
                          hint=f"the {key} path is relative to the bench file")
    return path


def _instrument(name: str, m: _Instrument, raw: Any, register: Register, data: Any,
                loc: tuple[Any, ...], file: str) -> InstrumentConfig:
    from labctl.bench.roles import check_options
    from labctl.drivers.base import DEFAULT_RETRIES

    def place(*keys: Any) -> str:
        return where(data, (*loc, *keys), file)

    from labctl.bench.roles import driver_class_for

    cls = driver_class_for(m.driver, where=place("driver"))  # an unknown driver stops here
    if not getattr(cls, "needs_transport", True):
        pass  # no wire (the operator at the console): a resource, if any, is a label
    elif m.resource is not None:
        _check_resource(m.resource, name, place("resource"))
    else:
        raise ConfigError(f"instrument {name!r} (driver {m.driver!r}) needs a resource",
                          where=place(), hint="e.g. resource: TCPIP::192.168.1.20::4001::SOCKET, "
                                              "serial:///dev/ttyUSB0?baudrate=9600 or sim://NAME")
    transport, options = _split_options(name, raw.get("options") or {}, place)
    check_options(m.driver, options, place)

    serial, register_id = m.serial, None
    if m.serial is not None and m.serial in register:
        entry = register.owner(m.serial)
        if not isinstance(entry, MeasuringInstrument):
            raise ConfigError(f"serial {m.serial!r} names the {entry.title} {entry.id!r}, "
                              "not a measuring instrument",
                              where=place("serial"),
                              hint="give the instrument's serial number or register id")
        serial, register_id = entry.serial, entry.id
    elif m.serial is not None:
        entry = register.by_serial(m.serial)
        register_id = entry.id if isinstance(entry, MeasuringInstrument) else None

    sim = raw.get("sim") or {}
    faults = sim.get("faults") if isinstance(sim, Mapping) else None
    if faults is not None:
        sim = _without(sim, "faults")
        _check_faults(faults, place("sim"))
    return InstrumentConfig(
        name=name, driver=m.driver, resource=m.resource.strip() if m.resource else None,
        needs_transport=bool(getattr(cls, "needs_transport", True)),
        role=m.role, transport=transport, options=options, serial=serial,
        register_id=register_id, sim=sim, faults=faults, where=place(),
        places={key: place(key) for key in raw},
        retries=DEFAULT_RETRIES if m.retries is None else m.retries,
    )


def _check_faults(faults: Any, place: str) -> None:
    """A fault plan checked when the file is loaded: ``at`` written with its unit (a
    clock time: ``at: 30 s``), then the plan's shape."""
    from labctl.sim.faults import FaultPlan
    from labctl.sim.params import require_units

    if isinstance(faults, list):
        for item in faults:
            if isinstance(item, Mapping):
                require_units(item, {"at": "s"}, place)
    FaultPlan.from_data(faults, where=place)


def _check_resource(resource: str, name: str, place: str) -> None:
    from labctl.transport.resources import parse_resource

    try:
        parse_resource(resource, instrument=name)
    except ConfigError as exc:
        raise ConfigError(f"instrument {name!r}: {exc.message}", where=place,
                          hint=exc.hint) from None


def _split_options(name: str, raw: Mapping[str, Any], place: Any
                   ) -> tuple[TransportOptions, Mapping[str, Any]]:
    """Transport settings (typed) and the driver's options (as written, places kept)."""
    from labctl.transport.base import TransportOptions
    from labctl.units import parse_quantity, require_unit, to_float

    kwargs: dict[str, Any] = {"instrument": name}
    fields = set(TransportOptions.__dataclass_fields__)
    for key, value in raw.items():
        field_name = TRANSPORT_ALIASES.get(key, key)
        if field_name not in TRANSPORT_KEYS or field_name not in fields:
            continue
        at = place("options", key)
        if field_name == "timeout":
            require_unit(value, "s", key=key, where=at)
            seconds = to_float(parse_quantity(value, where=at, expect="s"), "s")
            if seconds <= 0:
                raise ConfigError(f"timeout must be positive, got {value!r}", where=at)
            kwargs[field_name] = seconds
        elif field_name == "baud_rate":
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{key} must be a positive whole number, got {value!r}",
                                  where=at, hint="e.g. baud_rate: 9600")
            kwargs[field_name] = value
        else:
            if not isinstance(value, str):
                raise ConfigError(f"{key} must be text, got {value!r}", where=at,
                                  hint='write terminations in double quotes, e.g. "\\r\\n"')
            kwargs[field_name] = value
    if "encoding" in kwargs:
        import codecs

        try:
            codecs.lookup(kwargs["encoding"])
        except LookupError:
            raise ConfigError(f"unknown encoding {kwargs['encoding']!r}",
                              where=place("options", "encoding"),
                              hint="e.g. ascii, latin-1, utf-8") from None
    transport_keys = [k for k in raw if TRANSPORT_ALIASES.get(k, k) in kwargs]
    return TransportOptions(**kwargs), _without(raw, *transport_keys)


def _without(mapping: Any, *keys: str) -> Any:
    """A copy of a (located) mapping without ``keys``, keeping the places of the rest."""
    from labctl.yamlio import LocatedDict

    if getattr(mapping, "mark", None) is None:
        return {k: v for k, v in mapping.items() if k not in keys}
    out = LocatedDict((k, v) for k, v in mapping.items() if k not in keys)
    out.mark = getattr(mapping, "mark", None)  # type: ignore[assignment]
    out.key_marks = {k: m for k, m in getattr(mapping, "key_marks", {}).items()
                     if k not in keys}
    return out


def _environment(model: _Environment | None, instruments: dict[str, InstrumentConfig],
                 data: Any, file: str) -> tuple[str | None, EnvironmentReading | None]:
    from labctl.bench.roles import driver_capabilities
    from labctl.drivers.capabilities import EnvironmentReading
    from labctl.units import parse_quantity, require_unit

    if model is None:
        return None, None
    if model.instrument is not None:
        at = where(data, ("environment", "instrument"), file)
        inst = instruments.get(model.instrument)
        if inst is None:
            raise ConfigError(f"environment instrument {model.instrument!r} is not one of the "
                              f"bench's instruments ({', '.join(instruments)})", where=at)
        if "environment" not in driver_capabilities(inst.driver):
            raise ConfigError(f"instrument {inst.name!r} (driver {inst.driver!r}) does not "
                              "measure the environment", where=at,
                              hint="name a thermo-hygrometer, or state the values")
        return model.instrument, None

    def quantity(key: str, value: Any, unit: str) -> Any:
        if value is None:
            return None
        at = where(data, ("environment", key), file)
        written = data["environment"].get(key, value)  # as in the file: 20, not 20.0
        require_unit(written, unit, key=f"environment {key}", where=at)
        return parse_quantity(value, where=at, expect=unit)

    return None, EnvironmentReading(
        temperature=quantity("temperature", model.temperature, "degC"),
        humidity=quantity("humidity", model.humidity, "percent"),
    )


__all__ = ["BenchConfig", "InstrumentConfig", "TRANSPORT_KEYS", "load_bench"]
