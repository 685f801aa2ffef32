"""Every quantity in a bench file is written with its unit.

A bare number for a dimensional parameter (driver options, simulator parameters, fault
times, excursions, the stated environment) is refused in one line naming the key, its
``file:line:col`` and the dimension expected; dimensionless parameters (gain, seed,
relative errors, counts) stay bare numbers. The shipped benches load and build as they
are.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from labctl.bench import load_bench
from labctl.clock import VirtualClock
from labctl.errors import UnitError
from labctl.sim.params import ParamReader

from .helpers import REGISTER, ROOT, assert_one_line_naming_the_place

# a line of the shipped bench's scale simulator, to insert parameters after
ECC = ("      eccentricity: {centre: 0.0, front: 1.0e-4, back: -0.8e-4, left: 0.6e-4, "
       "right: -0.5e-4}\n")

SHIPPED = ROOT / "benches" / "sim-scale.yaml"


def shipped_copy(folder: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    shutil.copy(REGISTER, folder / "register.yaml")
    path = folder / "bench.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


# edit of the shipped bench -> (the line the error names, message pattern)
BARE = {
    "scale offset": (("      offset: 0.4 g", "      offset: 0.0004"), "offset: 0.0004",
                     r"offset: 0\.0004 has no unit: expected a mass"),
    "scale settling time": ((ECC, ECC + "      settling_time: 0.5\n"),
                            "settling_time: 0.5",
                            r"settling_time: 0\.5 has no unit: expected a duration"),
    "scale zero drift": ((ECC, ECC + "      zero_drift: 0.001\n"),
                         "zero_drift: 0.001",
                         r"zero_drift: 0\.001 has no unit: expected a mass per time"),
    "scale sim capacity": (("      d: 5 g\n      unit: kg\n      serial",
                            "      d: 0.005\n      unit: kg\n      serial"), "d: 0.005",
                           r"d: 0\.005 has no unit: expected a mass"),
    "loader move time": (("      serial: WL20-0042 ",
                          "      move_time: 4\n      serial: WL20-0042 "),
                         "move_time: 4", r"move_time: 4 has no unit: expected a duration"),
    "thermometer noise": (("      temperature_noise: 0.02 degC",
                           "      temperature_noise: 0.02"), "temperature_noise: 0.02",
                          r"temperature_noise: 0\.02 has no unit: expected a temperature"),
    "room period": (("      period: 4 h", "      period: 14400"), "period: 14400",
                    r"period: 14400 has no unit: expected a duration"),
    "excursion start": (("      period: 4 h\n", "      period: 4 h\n      excursions: "
                         "[{start: 600, duration: 300 s, temperature: 35 degC}]\n"),
                        "excursions:", r"start: 600 has no unit: expected a duration"),
    "scale stable timeout": (("      timeout: 2 s\n", "      timeout: 2 s\n"
                              "      stable_timeout: 30\n"), "stable_timeout: 30",
                             r"stable_timeout: 30 has no unit: expected a duration"),
}


@pytest.mark.parametrize("case", list(BARE))
def test_a_bare_number_for_a_quantity_is_refused_naming_key_place_and_dimension(
        case: str, tmp_path: Path) -> None:
    (old, new), line, pattern = BARE[case]
    path = shipped_copy(tmp_path, old, new)
    with pytest.raises(UnitError) as err:
        config = load_bench(path)  # options, faults, the environment: when loaded
        config.open(VirtualClock()).close()  # simulator parameters: when built
    assert_one_line_naming_the_place(err.value, path, pattern, line)


def test_zero_needs_its_unit_too(tmp_path: Path) -> None:
    path = shipped_copy(tmp_path, "      offset: 0.4 g", "      offset: 0")
    with pytest.raises(UnitError, match=r"offset: 0 has no unit"):
        load_bench(path).open(VirtualClock())


def test_dimensionless_parameters_stay_bare_numbers(tmp_path: Path) -> None:
    path = shipped_copy(tmp_path, "      gain: 2.0e-4 ",
                        "      gain: 2.0e-4\n      stable_band: 0.3\n      zero_range: 0.02\n"
                        "      underload: 20\n      creep: 1.0e-5\n      nonlinearity: 0 ")
    with load_bench(path).open(VirtualClock()) as bench:
        assert set(bench.devices) == {"scale", "loader", "thermo"}


@pytest.mark.parametrize("bench", sorted((ROOT / "benches").glob("sim-*.yaml")),
                         ids=lambda p: p.name)
def test_the_shipped_simulated_benches_build_with_their_units(bench: Path) -> None:
    with load_bench(bench).open(VirtualClock()) as opened:
        assert opened.devices


def test_param_reader_takes_quantities_with_units_and_plain_numbers() -> None:
    reader = ParamReader({"noise": "2 g", "gain": 3e-4, "timeout": "1 min"}, "scale",
                         ("noise", "gain", "timeout", "offset"))
    assert reader.number("noise", 0.0, unit="kg") == pytest.approx(0.002)
    assert reader.number("gain", 0.0) == 3e-4
    assert reader.number("timeout", 10.0, unit="s") == 60.0
    assert reader.number("offset", 0.25, unit="kg") == 0.25  # a default is in ``unit``
    with pytest.raises(UnitError, match=r"noise: 2 has no unit: expected a mass"):
        ParamReader({"noise": 2}, "scale", ("noise",)).number("noise", 0.0, unit="kg")
