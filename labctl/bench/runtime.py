"""An open bench: drivers on their transports, bound to roles, with the standards in use.

Built by ``BenchConfig.open(clock, ...)``; use it as a context manager so every
instrument is put in its safe state and closed on the way out::

    with load_bench("benches/sim-scale.yaml").open(VirtualClock()) as bench:
        bench.check_roles({"dut": "meter"}, optional=set())
        identities = bench.identify_all()
        dut = bench.role("dut")
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from labctl.bench.view import BenchView
from labctl.errors import ConfigError, InstrumentError, LabctlError, RunError, TransportError

if TYPE_CHECKING:
    from labctl.bench.config import BenchConfig, InstrumentConfig
    from labctl.clock import Clock
    from labctl.drivers.capabilities import EnvironmentReading, Identity
    from labctl.sim.device import SimDevice
    from labctl.sim.world import World


def open_bench(config: BenchConfig, clock: Clock, *, seed: int | None = None,
               allow_expired: str | None = None, today: date | None = None) -> Bench:
    """Check expiry, build the world and every simulator, then open each instrument.
    Anything that fails closes what was opened before and raises."""
    from labctl.bench.build import build_simulators, build_world

    expired = check_standards(config, allow_expired, today)
    world = build_world(config, clock, seed)
    devices = build_simulators(config, world)  # all of them, before anything connects
    instruments: dict[str, Any] = {}
    try:
        for inst in config.instruments.values():
            instruments[inst.name] = _open_instrument(inst, devices.get(inst.name), clock,
                                                      config.standard_parts())
    except BaseException:
        for driver in reversed(list(instruments.values())):
            with contextlib.suppress(Exception):  # closing must not hide the failure
                driver.close()
        raise
    return Bench(config, clock, world, devices, instruments,
                 allow_expired=allow_expired, expired=expired)


def check_standards(config: BenchConfig, allow_expired: str | None,
                    today: date | None) -> tuple[str, ...]:
    """Refuse a blank ``--allow-expired`` reason and (unless a reason is given) a used
    standard past its due date; the ids of the expired standards accepted."""
    if allow_expired is not None and not allow_expired.strip():
        raise RunError("--allow-expired needs a reason, recorded with the run",
                       hint="e.g. --allow-expired 'recalibration booked, check weighed OK'")
    return tuple(config.check_expiry(today, allow_expired))


def driver_options(inst: InstrumentConfig, cls: type,
                   parts: tuple[Any, ...] = ()) -> dict[str, Any]:
    """The options the driver of ``inst`` is built with: the bench file's, completed by
    what the driver class derives from the bench's standards
    (``options_from_standards``, e.g. the weights an operator is shown), where the
    bench file does not state them."""
    options = dict(inst.options)
    _paths_from_bench_file(inst, cls, options)
    derive = getattr(cls, "options_from_standards", None)
    if derive is not None:
        for key, value in derive(parts).items():
            options.setdefault(key, value)
    return options


def _paths_from_bench_file(inst: InstrumentConfig, cls: type,
                           options: dict[str, Any]) -> None:
    """Options a driver class names in ``path_options`` are file paths: a relative one
    is made relative to the bench file (the options carry its place), as the register
    and the simulators' files are; a value without a ``/`` or a file suffix is a name,
    left as it is."""
    from pathlib import Path

    mark = getattr(inst.options, "mark", None)
    base = getattr(mark, "file", None)
    for key in getattr(cls, "path_options", ()):
        value = options.get(key)
        if base is None or not isinstance(value, str):
            continue
        if ("/" in value or "\\" in value or value.endswith((".yaml", ".yml"))) \
                and not Path(value).expanduser().is_absolute():
            options[key] = str(Path(base).parent / Path(value).expanduser())


def _open_instrument(inst: InstrumentConfig, device: SimDevice | None, clock: Clock,
                     parts: tuple[Any, ...] = ()) -> Any:
    from labctl.bench.roles import driver_class_for
    from labctl.transport import open_transport

    cls = driver_class_for(inst.driver, where=inst.place("driver"))
    transport = None
    if inst.needs_transport and inst.resource is not None:
        try:
            transport = open_transport(inst.resource, inst.transport, device=device, clock=clock)
        except (TransportError, ConfigError) as exc:
            raise RunError(f"instrument {inst.name!r}: cannot open {inst.resource}: "
                           f"{exc.message}", where=inst.place("resource"),
                           hint=exc.hint or "check the address and that it is switched on"
                           ) from None
    options = driver_options(inst, cls, parts)
    try:
        driver = cls(transport, name=inst.name, **options)
        driver.retries = inst.retries
        return driver
    except ConfigError as exc:
        if transport is not None:
            transport.close()
        raise _at_option(exc, inst) from None
    except BaseException:
        if transport is not None:
            transport.close()
        raise


def _at_option(exc: ConfigError, inst: InstrumentConfig) -> ConfigError:
    """A driver's complaint about its options, placed at the option in the bench file."""
    place = inst.place("options")
    where = getattr(inst.options, "where", None)
    for key in inst.options:
        if f"option {key!r}" in (exc.where or "") and callable(where):
            place = where(key)
            break
    return type(exc)(f"instrument {inst.name!r}: {exc.message}", where=place, hint=exc.hint)


def _report_garbled_serial(driver: Any, first: str) -> None:
    """Tell the driver's retry listener that a first identification was garbled."""
    from labctl.drivers.base import RetryInfo

    listener = getattr(driver, "retry_listener", None)
    if listener is not None:
        listener(RetryInfo(driver.name, "identify", 1, driver.retries, InstrumentError(
            f"serial number read as {first!r}, then as expected",
            instrument=driver.name, command="identify")))


class Bench(BenchView):
    """The instruments of a bench, open, by name and by role."""

    def __init__(self, config: BenchConfig, clock: Clock, world: World,
                 devices: Mapping[str, SimDevice], instruments: Mapping[str, Any], *,
                 allow_expired: str | None = None, expired: Iterable[str] = ()) -> None:
        self.config = config
        self.clock = clock
        self.world = world
        self.devices = MappingProxyType(dict(devices))
        self.instruments = MappingProxyType(dict(instruments))
        self.allow_expired = allow_expired
        self.expired = tuple(expired)  # ids of expired standards accepted with the reason
        self._roles = {inst.role: self.instruments[inst.name]
                       for inst in config.instruments.values() if inst.role}
        self._closed = False
        self._safe_at: int | None = None  # activity count when the safe states last held

    # -- what the record needs ------------------------------------------------------
    @property
    def seed(self) -> int:
        return self.world.seed

    def check_roles(self, required: Mapping[str, str],
                    optional: set[str] | frozenset[str] = frozenset()) -> None:
        """``RunError`` naming the bench file and the role when a required role is missing
        or bound to a driver without the capability (see ``BenchConfig.check_roles``)."""
        from labctl.bench.roles import capability_names, check_binding

        self.config.check_roles(required, optional)
        for role, capability in required.items():
            if role in self._roles:
                driver = self._roles[role]
                check_binding(role, capability, type(driver).__name__,
                              capability_names(getattr(driver, "capabilities", ())),
                              where=self.config.places.get(f"role:{role}", str(self.path)))

    # -- identities ---------------------------------------------------------------------
    def identify_all(self) -> dict[str, Identity]:
        """``identify()`` every instrument (keyed by role, or by name when it has none) and
        check each serial number against the bench file and the register."""
        out: dict[str, Identity] = {}
        for inst in self.config.instruments.values():
            driver = self.instruments[inst.name]
            identity = driver.identify()
            expected = inst.serial
            if expected is not None and identity.serial.strip() != expected.strip() \
                    and getattr(driver, "retries", 0) > 0:
                # a garbled serial looks like another instrument's: ask once more
                first = identity.serial
                identity = driver.identify()
                if identity.serial.strip() == expected.strip():
                    _report_garbled_serial(driver, first)
            if expected is not None and identity.serial.strip() != expected.strip():
                source = (f"register entry {inst.register_id!r}" if inst.register_id
                          else "the bench file")
                raise RunError(
                    f"instrument {inst.name!r} reports serial number {identity.serial!r} but "
                    f"{source} expects {expected!r}",
                    where=inst.place("serial"),
                    hint="is the right instrument connected? correct the bench file or the "
                         "register",
                )
            out[inst.role or inst.name] = identity
        return out

    # -- standards ------------------------------------------------------------------------
    def standards_used(self) -> list[Any]:
        """Certificate data of what the bench uses: each part of its standards (a set's
        weights), then each certified entry without parts (the thermo-hygrometer, a
        family's reference). Each has ``as_record()``."""
        used: list[Any] = list(self.standard_parts())
        for id in self.config.used_entries():
            entry = self.register.standard(id)
            if not entry.parts() and entry.certificate is not None:
                used.append(entry)
        return used

    # -- environment ----------------------------------------------------------------------
    @property
    def environment_instrument(self) -> Any | None:
        name = self.config.environment_instrument
        return self.instruments[name] if name else None

    def read_environment(self) -> EnvironmentReading | None:
        """The room now: read from the environment instrument, else the stated values."""
        instrument = self.environment_instrument
        if instrument is not None:
            return instrument.read_environment()
        return self.environment_stated

    # -- teardown -------------------------------------------------------------------------
    def safe_state_all(self) -> list[LabctlError | Exception]:
        """``safe_state()`` on every instrument, each in its own try; the errors are
        returned (not raised) so one failing instrument does not spare the others."""
        errors: list[LabctlError | Exception] = []
        for driver in self.instruments.values():
            try:
                driver.safe_state()
            except Exception as exc:  # noqa: BLE001 - collected for the caller to report
                errors.append(exc)
        self._safe_at = None if errors else self._activity()
        return errors

    def _activity(self) -> int:
        return sum(getattr(d, "activity", 0) for d in self.instruments.values())

    @property
    def in_safe_state(self) -> bool:
        """True when every instrument reached its safe state and nothing was sent to any
        of them since (leaving the ``with`` block then does not command them again)."""
        return self._safe_at is not None and self._safe_at == self._activity()

    def close(self) -> list[LabctlError | Exception]:
        """Close every instrument (idempotent); errors are returned like safe_state_all's."""
        if self._closed:
            return []
        self._closed = True
        errors: list[LabctlError | Exception] = []
        for driver in self.instruments.values():
            try:
                driver.close()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
        return errors

    def __enter__(self) -> Bench:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._closed and not self.in_safe_state:
            self.safe_state_all()
        self.close()

    def __repr__(self) -> str:
        return f"<Bench {self.name!r} from {self.path}: {', '.join(self.instruments)}>"
