"""The bench files shipped in benches/: each loads, and the real-hardware template
benches/example-serial-scale.yaml binds the shipped procedure's roles, keeps loading
with its commented alternatives switched on, and runs the procedure end to end once its
hardware is swapped for simulators (its "sim twin").

The template's own bench cannot run here: its scale is on /dev/ttyUSB0 (only
``labctl run --dry-run``, which opens nothing, plans with it). The twin keeps everything
else of the file (data plate, transport options, standards, stated environment) and
replaces the scale's resource by ``sim://mtsics-scale`` with a ``sim:`` section. It also
replaces the manual weight handler by the simulated automatic loader: the simulated load
receptor only holds what the ``weight-loader`` simulator puts on it, so with
``manual-weights`` the simulated scale would go on indicating zero whatever the operator
is told to place (see
``test_template_manual_weights_prompt_on_the_console``, which drives that handler alone).
"""

from __future__ import annotations

import io
import re
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from labctl.bench import load_bench
from labctl.calibration import CalibrationRequest, calibrate, required_roles
from labctl.clock import VirtualClock
from labctl.drivers.weighing.capabilities import WeightLoad
from labctl.procedures.loading import load_procedure
from labctl.procedures.weighing.weight_choice import chooser_for
from labctl.units import Q_

from .helpers import REGISTER, ROOT

BENCHES = ROOT / "benches"
EXAMPLE = BENCHES / "example-serial-scale.yaml"
PROCEDURE = ROOT / "procedures" / "scale-jjg539.yaml"
TODAY = date(2026, 12, 1)  # within every due date of the shipped register
DECISIONS = {"pass", "fail", "conditional_pass", "conditional_fail"}
BENCH_FILES = sorted(p for p in BENCHES.glob("*.yaml")
                     if p.name not in (REGISTER.name, "personnel.yaml"))


@pytest.mark.parametrize("path", BENCH_FILES, ids=[p.name for p in BENCH_FILES])
def test_every_shipped_bench_loads(path: Path) -> None:
    config = load_bench(path)
    assert config.instruments and config.register.path.resolve() == REGISTER.resolve()


def test_the_bench_folder_holds_the_template() -> None:
    assert EXAMPLE in BENCH_FILES and len(BENCH_FILES) >= 2


def procedure_roles() -> tuple[dict[str, str], set[str]]:
    return required_roles(load_procedure(PROCEDURE))


def test_template_describes_real_hardware_that_satisfies_the_procedure() -> None:
    config = load_bench(EXAMPLE)
    required, optional = procedure_roles()
    config.check_roles(required, optional)

    scale = config.instruments["scale"]
    assert scale.driver == "mtsics-scale" and scale.role == "dut" and not scale.simulated
    assert scale.resource == "serial:///dev/ttyUSB0?baudrate=9600&bytesize=8&parity=N&stopbits=1"
    assert scale.transport.read_termination == "\r\n"
    assert scale.transport.write_termination == "\r\n"
    assert scale.transport.timeout == 2.0
    assert {k: scale.options[k] for k in ("max", "e", "d", "min", "class")} == {
        "max": "30 kg", "e": "10 g", "d": "10 g", "min": "200 g", "class": "III"}

    handler = config.instruments[config.role_names()["loader"]]
    assert handler.driver == "manual-weights" and not handler.needs_transport
    assert config.environment_instrument is None
    assert config.environment_stated.temperature == Q_(20.5, "degC")

    # the weights make every load of a 30 kg, e = 10 g scale, with twelve 0.1 e pieces
    pieces = config.standard_parts()
    one_gram = [w.id for w in pieces if w.nominal == Q_(1, "g")]
    assert one_gram[:12] == [f"CP-B/1g-{i:02d}" for i in range(1, 13)]
    assert sum(w.nominal.m_as("kg") for w in pieces) > 30.1
    from labctl.procedures.weighing.weight_choice import choose_weights

    for load in ("200 g", "5 kg", "10 kg", "15 kg", "20 kg", "30 kg"):
        chosen = choose_weights(Q_(load), pieces)
        choose_weights(Q_(14, "g"), pieces, exclude=chosen)  # discrimination, 1.4 d
        choose_weights(Q_(1, "g"), pieces, exclude=chosen)   # the change point's first


def test_template_commented_alternatives_load(tmp_path: Path) -> None:
    """The LAN-serial converter, the A&D indicator and the thermo-hygrometer on a second
    port, each as the comments tell a user to switch it on."""
    text = EXAMPLE.read_text(encoding="utf-8")
    lan = re.search(r"^    # (resource: TCPIP::\S+)", text, re.M)
    assert lan, "the commented LAN resource"
    text = re.sub(r"^    resource: serial://\S+$", "    " + lan[1], text, count=1, flags=re.M)
    text = text.replace("driver: mtsics-scale", "driver: and-scale", 1)
    text = text.replace("      # acknowledge: true", "      acknowledge: true", 1)
    block = re.search(r"^  # thermo:\n(?:^  #   .*\n)+", text, re.M)
    assert block, "the commented thermo-hygrometer"
    text = text.replace(block[0], re.sub(r"^  # ", "  ", block[0], flags=re.M))
    text = re.sub(r"^environment: \{temperature.*$", "environment: {instrument: thermo}",
                  text, count=1, flags=re.M)
    shutil.copy(REGISTER, tmp_path / "register.yaml")
    path = tmp_path / "alternatives.yaml"
    path.write_text(text, encoding="utf-8")

    config = load_bench(path)
    required, _ = procedure_roles()
    config.check_roles(required, set())  # the optional environment role is bound too
    assert config.instruments["scale"].resource == "TCPIP::192.168.1.50::4001::SOCKET"
    assert config.instruments["scale"].driver == "and-scale"
    assert config.instruments["scale"].options["acknowledge"] is True
    assert config.environment_instrument == "thermo"
    assert config.instruments["thermo"].register_id == "TH-01"


# -- the template's sim twin ----------------------------------------------------------


def sim_twin(folder: Path, *, manual: bool = False) -> Path:
    """benches/example-serial-scale.yaml with its hardware swapped for simulators, written
    into ``folder`` beside a copy of the register; ``manual`` keeps the manual handler."""
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    scale = data["instruments"]["scale"]
    plate = scale["options"]
    scale["resource"] = "sim://mtsics-scale"
    scale["sim"] = {"max": plate["max"], "e": plate["e"], "d": plate["d"],
                    "unit": plate["unit"], "serial": scale["serial"],
                    "gain": 1.5e-4, "offset": "0.8 g", "noise": "0.3 g",  # noise 0.03 d
                    "eccentricity": {"centre": 0.0, "front": 1.0e-4, "back": -0.8e-4,
                                     "left": 0.6e-4, "right": -0.5e-4},
                    "seed": 7}
    if not manual:
        instruments = data["instruments"]
        (name,) = [n for n, i in instruments.items() if i.get("role") == "loader"]
        del instruments[name]
        instruments["loader"] = {"driver": "weight-loader", "resource": "sim://weight-loader",
                                 "role": "loader", "serial": "LOADER-01",
                                 "sim": {"serial": "WL20-0042"}}
    shutil.copy(REGISTER, folder / "register.yaml")
    path = folder / "example-sim-twin.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_template_sim_twin_runs_the_shipped_procedure(tmp_path: Path) -> None:
    twin = sim_twin(tmp_path)
    result = calibrate(CalibrationRequest(PROCEDURE, twin, registry=f"sqlite:///{tmp_path}/r.db",
                                          runs_dir=tmp_path / "runs", today=TODAY))
    record = result.record.document()
    assert result.virtual_clock and record["decision"] in DECISIONS

    plate = record["dut"]["data_plate"]
    assert plate["max"] == {"value": 30.0, "unit": "kg"} and plate["class"] == "III"
    assert plate["e"]["value"] * 1000 == pytest.approx(10.0)
    assert record["dut"]["serial"] == "B912345678"
    assert record["environment"]["source"] == "stated"
    assert record["environment"]["temperature"]["mean"] == 20.5

    points = record["points"]
    assert {p["test"] for p in points} >= {"zero_setting", "weighing_error", "eccentricity",
                                          "repeatability", "discrimination", "tare"}
    weighing = [p for p in points if p["test"] == "weighing_error"]
    loads = sorted({round(p["nominal"]["value"], 6) for p in weighing})
    assert loads == [0.2, 5.0, 15.0, 20.0, 30.0]
    assert all(p["decision"] in DECISIONS for p in points)
    # the simulated scale is within its MPE everywhere and the change point keeps U small
    assert record["decision"] == "pass", [(p["point"], p["decision"]) for p in points]
    used = {s["register_id"] for s in record["standards"]}
    assert {"CP-B/1g-01", "M1-B/20kg"} <= used


def test_template_manual_weights_prompt_on_the_console(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The template's weight handler as written: no console needed, the operator's
    answers come from standard input and the prompts name register ids and nominals."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n" * 4))
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    with load_bench(sim_twin(tmp_path, manual=True)).open(VirtualClock(), today=TODAY) as bench:
        handler = bench.role("loader")
        assert type(handler).__name__ == "ManualWeights"
        weights = chooser_for(bench)(Q_(30, "kg"))
        handler.place(WeightLoad(weights, position="front"))
        handler.add(WeightLoad(("CP-B/1g-01",), position="front"))
        handler.remove_all()
    prompts = out.getvalue()
    assert "Place on the front of the load receptor: M1-B/20kg (20 kg)" in prompts
    assert "Add at the front: CP-B/1g-01 (1 g)" in prompts
    assert prompts.count("Press Enter when done") == 3
