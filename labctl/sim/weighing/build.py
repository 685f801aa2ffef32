"""The physics of weighing: a load receptor with weights on it, and a scale reading it.

- ``labctl.sim.weighing.weighing_platform``: ``WeighingPlatform``, the shared physical object
  (``world.get("weighing_platform")``): which weights lie on the load receptor, and where,
  as steps in clock time;
- ``labctl.sim.weighing.scale_model``: ``ScaleModel``, the metrology of one scale looking at a
  platform (settling, stability, errors, zero and tare, overload);
- ``labctl.sim.params``: ``ParamReader``, which reads a simulator's ``sim:`` mapping;
- here: building a ``ScaleModel`` from those parameters (``build_scale``). Every name
  above can still be imported from this module.

Simulator parameters (``sim:`` of an MT-SICS or A&D scale in a bench file)::

    max: 15 kg            # data plate (default 15 kg, e = d = 5 g, unit of max)
    e: 5 g
    d: 5 g
    unit: kg
    gain: 3.0e-4          # relative span error
    offset: 2 g           # every quantity with its unit (a bare number is refused)
    nonlinearity: 0       # quadratic term: adds nonlinearity x Max at Max
    eccentricity: {centre: 0, front: 2.0e-4, back: 0, left: 0, right: 0}   # relative
    zero_drift: 0 g/h     # per hour
    creep: 0              # relative, reached with creep_time (default 600 s)
    noise: 1 g            # standard deviation
    settling_time: 0.5 s  # first-order time constant
    stable_band: 0.25     # x d
    stable_period: 0.5 s
    zero_tracking: false
    initial_zero: false   # zero at power on (cancels the offset)
    zero_range: 0.02      # x Max
    underload: 20         # x d
    timeout: 10 s         # how long the device itself waits for stability
    seed: 7               # noise stream (default: the world's seed)
    platform: weighing_platform
    serial, model, firmware
"""

from __future__ import annotations

from collections.abc import Mapping

from labctl.errors import ConfigError, UnitError
from labctl.sim.params import ParamReader, device_rng
from labctl.sim.weighing.scale_model import Indication, ScaleModel, ScaleParams
from labctl.sim.weighing.weighing_platform import PLATFORM, POSITIONS, LoadStep, WeighingPlatform
from labctl.sim.world import World
from labctl.units import parse_quantity, parse_unit

__all__ = [
    "PLATFORM", "POSITIONS", "SCALE_KEYS", "Indication", "LoadStep", "ParamReader",
    "ScaleModel", "ScaleParams", "WeighingPlatform", "build_scale", "device_rng",
    "read_scale_params", "shared_platform",
]


# -- building from a bench's sim: parameters -----------------------------------------
SCALE_KEYS = ("max", "e", "d", "unit", "gain", "offset", "nonlinearity", "eccentricity",
              "zero_drift", "creep", "creep_time", "noise", "settling_time", "stable_band",
              "stable_period", "zero_tracking", "initial_zero", "zero_range", "underload",
              "timeout", "seed", "platform", "serial", "model", "firmware", "name")


def read_scale_params(reader: ParamReader) -> ScaleParams:
    """``ScaleParams`` from a reader over a scale simulator's ``sim:`` mapping."""
    reader.require_units(("max", "e", "d"), "kg")
    max_q = parse_quantity(reader.get("max", "15 kg"), where=reader.where("max"), expect="kg")
    unit_text = reader.get("unit")
    unit = parse_unit(str(unit_text), reader.where("unit")) if unit_text else max_q.units
    if unit.dimensionality != max_q.dimensionality:
        raise UnitError(f"unit {unit_text!r} is not a unit of mass", where=reader.where("unit"))
    unit_symbol = f"{unit:~}"
    e_raw = reader.get("e", reader.get("d", "5 g"))
    d_raw = reader.get("d", e_raw)
    e = float(parse_quantity(e_raw, where=reader.where("e"), expect="kg").m_as(unit))
    d = float(parse_quantity(d_raw, where=reader.where("d"), expect="kg").m_as(unit))
    mx = float(max_q.m_as(unit))
    if not (0 < d <= e < mx):
        raise ConfigError(f"the data plate needs 0 < d <= e < max (d={d:g}, e={e:g}, "
                          f"max={mx:g} {unit_symbol})", where=reader.where())
    ecc_raw = reader.get("eccentricity") or {}
    if not isinstance(ecc_raw, Mapping):
        raise ConfigError("eccentricity must map positions to relative errors",
                          where=reader.where("eccentricity"),
                          hint="e.g. {front: 2.0e-4, back: -1.0e-4}")
    eccentricity: dict[str, float] = {}
    for pos, value in ecc_raw.items():
        if pos not in POSITIONS:
            raise ConfigError(f"unknown position {pos!r} in eccentricity",
                              where=reader.where("eccentricity"),
                              hint=f"positions: {', '.join(POSITIONS)}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"eccentricity at {pos} must be a number (relative error)",
                              where=reader.where("eccentricity"))
        eccentricity[pos] = float(value)
    return ScaleParams(
        max=mx, e=e, d=d, unit=unit_symbol,
        gain=reader.number("gain", 0.0),
        offset=reader.number("offset", 0.0, unit=unit_symbol),
        nonlinearity=reader.number("nonlinearity", 0.0),
        eccentricity=eccentricity,
        zero_drift=reader.number("zero_drift", 0.0, unit=unit_symbol, per_hour=True),
        creep=reader.number("creep", 0.0),
        creep_time=reader.number("creep_time", 600.0, unit="s", minimum=0.0),
        noise=reader.number("noise", 0.0, unit=unit_symbol, minimum=0.0),
        settling_time=reader.number("settling_time", 0.5, unit="s", minimum=0.0),
        stable_band=reader.number("stable_band", 0.25, minimum=0.0),
        stable_period=reader.number("stable_period", 0.5, unit="s", minimum=0.0),
        zero_tracking=reader.flag("zero_tracking", False),
        initial_zero=reader.flag("initial_zero", False),
        zero_range=reader.number("zero_range", 0.02, minimum=0.0),
        underload=reader.number("underload", 20.0, minimum=0.0),
        timeout=reader.number("timeout", 10.0, unit="s", minimum=0.0),
    )


def shared_platform(world: World, reader: ParamReader) -> WeighingPlatform:
    """The platform named by the ``platform`` parameter (default ``weighing_platform``),
    created in the world on first use."""
    name = reader.text("platform", PLATFORM)
    platform = world.get(name, lambda: WeighingPlatform(world.clock))
    if not isinstance(platform, WeighingPlatform):
        raise ConfigError(f"{name!r} in the simulated world is not a weighing platform",
                          where=reader.where("platform"))
    return platform


def build_scale(world: World, reader: ParamReader, name: str) -> ScaleModel:
    """A ``ScaleModel`` on the shared platform, from a scale simulator's parameters."""
    params = read_scale_params(reader)
    return ScaleModel(shared_platform(world, reader), world.clock, params,
                      device_rng(world, reader, name))
