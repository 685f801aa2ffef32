"""Building a bench's simulated side: the seeded world and its device simulators.

``Bench.open`` and ``labctl sim serve`` both build simulators here, so a served bench
behaves exactly like the in-process one (same parameters, same seed, same faults).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from labctl.errors import ConfigError, LabctlError

if TYPE_CHECKING:
    from labctl.bench.config import BenchConfig, InstrumentConfig
    from labctl.clock import Clock
    from labctl.sim.device import SimDevice
    from labctl.sim.world import World

def build_world(config: BenchConfig, clock: Clock, seed: int | None = None) -> World:
    """The simulated world of the bench, seeded with ``seed`` or the bench's own."""
    from labctl.sim.world import World

    return World(clock, config.seed if seed is None else int(seed))


def build_simulators(config: BenchConfig, world: World) -> dict[str, SimDevice]:
    """One simulator per ``sim://`` instrument of the bench, by instrument name, with its
    fault plan attached. Bad parameters raise ``ConfigError`` at their file place;
    nothing is connected yet."""
    devices: dict[str, SimDevice] = {}
    parts = config.standard_parts()
    for inst in config.instruments.values():
        if inst.simulator is None:
            continue
        entry = config.register.standard(inst.register_id) if inst.register_id else None
        params = _params(inst, parts, world, entry)
        devices[inst.name] = build_simulator(inst, world, params)
    return devices


def build_simulator(inst: InstrumentConfig, world: World, params: Mapping[str, Any]
                    ) -> SimDevice:
    from labctl.sim.registry import simulator_factory

    name = inst.simulator or ""
    try:
        factory = simulator_factory(name)
    except LabctlError as exc:
        raise ConfigError(f"instrument {inst.name!r}: {exc.message}",
                          where=inst.where, hint=exc.hint) from None
    except LookupError as exc:
        raise ConfigError(f"instrument {inst.name!r}: no simulator {name!r} ({exc})",
                          where=inst.where) from None
    device = factory(world, params)
    if inst.faults:
        device = _with_faults(inst, device, world)
    return device


def _params(inst: InstrumentConfig, parts: tuple[Any, ...], world: World,
            entry: Any = None) -> Mapping[str, Any]:
    """The simulator's parameters: its ``sim:`` block, completed by what the driver class
    derives from the bench's standards and the world (``simulation_params``: a weight
    loader's true masses of the bench's weights) and from the instrument's own register
    entry (``simulation_entry_params``: a reference's true errors within its
    certificate) where ``sim:`` does not state them."""
    from labctl.bench.roles import driver_class_for

    params = inst.sim
    cls = driver_class_for(inst.driver, where=inst.place("driver"))
    derived: dict[str, Any] = {}
    derive = getattr(cls, "simulation_params", None)
    if derive is not None:
        derived.update(derive(parts, world))
    derive_entry = getattr(cls, "simulation_entry_params", None)
    if derive_entry is not None and entry is not None:
        derived.update(derive_entry(entry, world))
    extra = {k: v for k, v in derived.items() if k not in params}
    if extra:
        params = _with(params, **extra)
    return params


def _with(mapping: Mapping[str, Any], **extra: Any) -> Mapping[str, Any]:
    """A copy of a located mapping with ``extra`` keys (their place: the mapping's own)."""
    from labctl.yamlio import LocatedDict

    mark = getattr(mapping, "mark", None)
    if mark is None:
        return {**mapping, **extra}
    out = LocatedDict(mapping)
    out.update(extra)
    out.mark = mark  # type: ignore[assignment]
    out.key_marks = dict(getattr(mapping, "key_marks", {}))
    for key in extra:
        out.key_marks.setdefault(key, mark)
    return out


def _with_faults(inst: InstrumentConfig, device: SimDevice, world: World) -> SimDevice:
    from labctl.sim.faults import FaultPlan

    plan = FaultPlan.from_data(inst.faults, where=inst.place("sim"))
    return plan.wrap(device, world.rng(f"faults/{inst.name}"))
