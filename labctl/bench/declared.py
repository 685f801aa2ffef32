"""A bench as its file declares it, for planning without touching anything
(``labctl run --dry-run``).

``declared_bench(config)`` checks the standards (due dates, ``--allow-expired``) like a
run, then builds each instrument's driver on a ``PlanOnlyLine``: a transport that opens
nothing and refuses every exchange. A driver's data plate (``capacity``, ``e``, ``d``,
``min_load``...) comes from the bench file's ``options``, read by the driver's own code
exactly as in a run, so the plan is the one the run will make. No transport is opened,
no simulator is built, nothing is sent, and there is no safe state to apply.

A value the plan needs that the bench file does not state is refused in one line: the
driver has no such attribute (the planner names the instrument, the role and the
attribute), or the driver would have to ask the instrument (``PlanOnlyLine`` refuses
the command, naming the instrument and the command).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from labctl.bench.view import BenchView
from labctl.errors import ConfigError, RunError, TransportError
from labctl.transport.base import Transport

if TYPE_CHECKING:
    from labctl.bench.config import BenchConfig, InstrumentConfig


class PlanOnlyLine(Transport):
    """The 'connection' of an instrument on a declared bench: nothing is opened, and
    any command a driver tries to send is refused (``TransportError``)."""

    def __init__(self, inst: InstrumentConfig) -> None:
        super().__init__(inst.resource or "none://", inst.transport)
        self.where = inst.place("options")

    def _refuse(self) -> TransportError:
        return TransportError(
            "a dry run plans from the bench file alone and asks the instrument nothing, "
            "but the plan needs a value the bench file does not state",
            instrument=self.options.instrument,
            hint=f"state it in the instrument's options ({self.where}), or run without "
                 "--dry-run")

    def write(self, command: str) -> None:
        raise self._refuse()

    def read(self) -> str:
        raise self._refuse()

    def read_bytes(self, count: int) -> bytes:
        raise self._refuse()

    def close(self) -> None:
        pass


class DeclaredBench(BenchView):
    """What ``plan_run`` needs of a bench (``BenchLike``), from the bench file alone:
    the drivers by role (on ``PlanOnlyLine``), the parts of its standards and the
    run information. It is never opened, so it has nothing to close."""

    def __init__(self, config: BenchConfig, instruments: Mapping[str, Any], *,
                 seed: int | None = None, allow_expired: str | None = None,
                 expired: Iterable[str] = ()) -> None:
        self.config = config
        self.instruments = MappingProxyType(dict(instruments))
        self.allow_expired = allow_expired
        self.expired = tuple(expired)
        self._seed = config.seed if seed is None else int(seed)
        self._roles = {inst.role: self.instruments[inst.name]
                       for inst in config.instruments.values() if inst.role}

    @property
    def seed(self) -> int:
        return self._seed

    def __repr__(self) -> str:
        return f"<DeclaredBench {self.name!r} from {self.path}: {', '.join(self.instruments)}>"


def declared_bench(config: BenchConfig, *, seed: int | None = None,
                   allow_expired: str | None = None, today: date | None = None
                   ) -> DeclaredBench:
    """The bench of ``config`` as declared, for a plan: standards checked like a run,
    each driver built from the bench file's options on a ``PlanOnlyLine``."""
    from labctl.bench.roles import driver_class_for
    from labctl.bench.runtime import _at_option, check_standards, driver_options

    expired = check_standards(config, allow_expired, today)
    parts = config.standard_parts()
    instruments: dict[str, Any] = {}
    for inst in config.instruments.values():
        cls = driver_class_for(inst.driver, where=inst.place("driver"))
        line = PlanOnlyLine(inst) if getattr(cls, "needs_transport", True) else None
        try:
            instruments[inst.name] = cls(line, name=inst.name,
                                         **driver_options(inst, cls, parts))
        except ConfigError as exc:
            raise _at_option(exc, inst) from None
        except TransportError as exc:
            raise RunError(f"instrument {inst.name!r}: driver {inst.driver!r} talks to the "
                           "instrument as soon as it is built, so a dry run cannot plan "
                           f"with it ({exc.message})", where=inst.place("driver"),
                           hint="run without --dry-run") from None
    return DeclaredBench(config, instruments, seed=seed, allow_expired=allow_expired,
                         expired=expired)


__all__ = ["DeclaredBench", "PlanOnlyLine", "declared_bench"]
