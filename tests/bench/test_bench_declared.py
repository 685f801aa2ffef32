"""``BenchConfig.declared()``: the bench as its file declares it, for ``--dry-run`` plans.

Drivers are built from the bench file's options on a line that opens nothing and refuses
every command, so a value the plan needs that only the instrument could give is refused
in one line naming the instrument, the command and where to state it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from labctl.bench import load_bench
from labctl.bench.declared import DeclaredBench, PlanOnlyLine
from labctl.errors import RunError, TransportError
from labctl.procedures.launch import plan_run
from labctl.procedures.loading import loads_procedure
from labctl.procedures.weighing.weight_choice import chooser_for
from labctl.units import Q_

from .fakes import DRIVERS, FakeScale
from .helpers import line_of

TODAY = date(2026, 12, 1)

PROBE = """\
id: probe
version: 0.1.0
title: Probe
document: TEST 2-2026
kind: verification
category: initial
roles:
  dut: {capability: scale}
  loader: {capability: weight_handler}
variables:
  Max: dut.capacity
  Min: dut.min_load
steps:
  - id: s
    points: [{load: Max / 3}]
    actions:
      - load: {role: loader, mass: load}
      - read: {role: dut, as: indication}
"""


class AskingScale(FakeScale):
    """A scale driver that asks the instrument for its Min."""

    @property
    def min_load(self) -> object:
        return self.read_immediate().value


def test_declared_bench_has_the_data_plate_of_the_file_and_opens_nothing(
        write_bench: Callable[..., Path]) -> None:
    config = load_bench(write_bench())
    bench = config.declared(today=TODAY)
    assert isinstance(bench, DeclaredBench)
    scale = bench.role("dut")
    assert isinstance(scale.transport, PlanOnlyLine)
    assert scale.capacity == Q_(15, "kg") and scale.e == Q_(5, "g")
    assert chooser_for(bench)(Q_(2.5, "kg")) == ("M1-A/2kg", "M1-A/500g")
    assert bench.seed == 11 and config.declared(seed=4, today=TODAY).seed == 4
    with pytest.raises(RunError, match="no instrument in role 'reference'"):
        bench.role("reference")


def test_a_command_on_a_declared_bench_is_refused_naming_where_to_state_the_value(
        write_bench: Callable[..., Path]) -> None:
    path = write_bench()
    scale = load_bench(path).declared(today=TODAY).role("dut")
    with pytest.raises(TransportError) as err:
        scale.read_immediate()
    text = str(err.value)
    assert "instrument 'scale'" in text and "command 'W?'" in text
    assert "dry run" in text and f"{path}:{line_of(path, 'options:')}:" in text


def test_a_plan_that_needs_the_instrument_is_refused_on_a_declared_bench(
        write_bench: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(DRIVERS, "fake-scale", AskingScale)
    bench = load_bench(write_bench()).declared(today=TODAY)
    with pytest.raises(RunError) as err:
        plan_run(loads_procedure(PROBE, "probe.yaml"), bench)
    text = str(err.value)
    assert "\n" not in text and text.startswith("probe.yaml:")
    assert "variable 'Min'" in text and "dut.min_load" in text and "dry run" in text


def test_a_declared_bench_plans_loads_like_an_open_one(
        write_bench: Callable[..., Path]) -> None:
    from labctl.clock import VirtualClock

    config = load_bench(write_bench())
    procedure = loads_procedure(PROBE.replace("  Min: dut.min_load\n", ""), "probe.yaml")
    with config.open(VirtualClock(), today=TODAY) as opened:
        expected = plan_run(procedure, opened).describe()
    assert plan_run(procedure, config.declared(today=TODAY)).describe() == expected
    assert "load 5 kg with loader at centre: M1-A/5kg" in expected


def test_a_blank_allow_expired_reason_is_refused_as_in_a_run(
        write_bench: Callable[..., Path]) -> None:
    with pytest.raises(RunError, match="needs a reason"):
        load_bench(write_bench()).declared(allow_expired="  ", today=TODAY)
