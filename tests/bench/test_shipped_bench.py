"""benches/sim-scale.yaml and benches/register.yaml, with the real simulators."""

from __future__ import annotations

from datetime import date

from labctl.bench import load_bench
from labctl.clock import VirtualClock
from labctl.drivers.weighing.capabilities import WeightLoad
from labctl.procedures.weighing.weight_choice import chooser_for
from labctl.register import load_register
from labctl.units import Q_

from .helpers import REGISTER, ROOT

SHIPPED = ROOT / "benches" / "sim-scale.yaml"


def test_register_due_dates_are_ahead() -> None:
    reg = load_register(REGISTER)
    for entry in reg:
        if entry.certificate is not None:
            assert entry.due.year in (2027, 2028)
    classes = {w.basis for w in reg.parts("M1-A")}
    assert classes == {"certificate", "class"}  # most with certificate values, a few class only


def test_shipped_bench_loads_and_binds_the_scale_procedure_roles() -> None:
    cfg = load_bench(SHIPPED)
    assert cfg.name == "sim-scale"
    cfg.check_roles({"dut": "scale", "loader": "weight_handler", "environment": "environment"})
    assert cfg.instruments["scale"].options["max"] == "15 kg"
    assert all(i.simulated for i in cfg.instruments.values())


def test_shipped_bench_weighs_on_a_virtual_clock() -> None:
    with load_bench(SHIPPED).open(VirtualClock(), today=date(2026, 12, 1)) as bench:
        ids = bench.identify_all()
        assert ids["dut"].serial == "B523041877"
        assert ids["environment"].serial == "TH100-25-0173"
        scale, loader = bench.role("dut"), bench.role("loader")
        assert scale.capacity == Q_(15, "kg") and scale.e == Q_(5, "g")
        scale.zero()
        loader.place(WeightLoad(chooser_for(bench)(Q_(7.5, "kg"))))
        reading = scale.read_stable()
        # gain 2e-4 on 7.5 kg is 1.5 g: within one d of the nominal load
        assert reading.stable and abs(reading.value - Q_(7.5, "kg")) <= Q_(5, "g")
        env = bench.read_environment()
        assert 20 < env.temperature.m_as("degC") < 23
        assert bench.clock.now() > 1  # the loader's move and the settling took virtual time
