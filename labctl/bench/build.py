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
    from labctl.register import Weight
    from labctl.sim.device import SimDevice
    from labctl.sim.world import World

# How far a simulated weight's true conventional mass lies from its certificate value,
# as a fraction of its standard uncertainty (uniform in +/- this fraction).
TRUE_MASS_SPREAD = 0.5


def build_world(config: BenchConfig, clock: Clock, seed: int | None = None) -> World:
    """The simulated world of the bench, seeded with ``seed`` or the bench's own."""
    from labctl.sim.world import World

    return World(clock, config.seed if seed is None else int(seed))


def true_weights(weights: tuple[Weight, ...], world: World) -> dict[str, str]:
    """Each weight's true conventional mass in the simulated world: its register value
    plus a seeded deviation within ``TRUE_MASS_SPREAD`` of its standard uncertainty.
    Returned as ``{id: "<mass> kg"}``, the weight loader simulator's ``weights:``."""
    rng = world.rng("standard-weights")
    out: dict[str, str] = {}
    for w in weights:
        deviation = float(rng.uniform(-TRUE_MASS_SPREAD, TRUE_MASS_SPREAD)) * w.u
        mass = (w.conventional_mass + deviation).to("kg")
        out[w.id] = f"{float(mass.magnitude):.12g} kg"
    return out


def build_simulators(config: BenchConfig, world: World) -> dict[str, SimDevice]:
    """One simulator per ``sim://`` instrument of the bench, by instrument name, with its
    fault plan attached. Bad parameters raise ``ConfigError`` at their file place;
    nothing is connected yet."""
    devices: dict[str, SimDevice] = {}
    weights = config.weight_set()
    for inst in config.instruments.values():
        if inst.simulator is None:
            continue
        params = _params(inst, weights, world)
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


def _params(inst: InstrumentConfig, weights: tuple[Weight, ...], world: World
            ) -> Mapping[str, Any]:
    """The simulator's parameters; a weight handler also gets the true masses of the
    bench's weights (unless its ``sim:`` already states them)."""
    from labctl.bench.roles import driver_capabilities

    params = inst.sim
    if "weight_handler" in driver_capabilities(inst.driver) and "weights" not in params:
        params = _with(params, weights=true_weights(weights, world))
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
