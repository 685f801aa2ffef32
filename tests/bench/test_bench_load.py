"""load_bench: a checked bench file, nothing opened; each mistake one line at its place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from labctl.bench import load_bench
from labctl.errors import ConfigError, UnitError

from .helpers import assert_one_line_naming_the_place


def test_good_bench(write_bench: Callable[..., Path]) -> None:
    path = write_bench()
    cfg = load_bench(path)
    assert (cfg.name, cfg.lab, cfg.operator, cfg.seed) == ("test-bench", "Test lab",
                                                           "A. Tester", 11)
    assert cfg.path == path and len(cfg.sha256) == 64
    assert cfg.register.path == path.parent / "register.yaml"
    assert cfg.role_names() == {"dut": "scale", "loader": "loader", "environment": "thermo"}
    scale = cfg.instruments["scale"]
    assert scale.simulator == "fake-scale" and scale.serial == "FS-77"
    assert scale.transport.timeout == 1.0 and scale.transport.instrument == "scale"
    assert "timeout" not in scale.options and scale.options["max"] == "15 kg"
    thermo = cfg.instruments["thermo"]
    assert thermo.serial == "TH100-25-0173" and thermo.register_id == "TH-01"
    assert cfg.instruments["loader"].register_id == "LOADER-01"
    assert len(cfg.standard_parts()) == 20
    assert cfg.used_entries() == ["M1-A", "LOADER-01", "TH-01"]
    assert cfg.environment_instrument == "thermo" and cfg.environment_stated is None


def test_stated_environment(write_bench: Callable[..., Path]) -> None:
    path = write_bench(replace={"environment: {instrument: thermo}":
                                "environment: {temperature: 20 degC, humidity: 50 %}"})
    cfg = load_bench(path)
    assert cfg.environment_instrument is None
    assert cfg.environment_stated.temperature.m_as("degC") == pytest.approx(20)
    assert cfg.environment_stated.humidity.m_as("percent") == pytest.approx(50)


def test_single_weights_as_standards(write_bench: Callable[..., Path]) -> None:
    path = write_bench(replace={"standards: [M1-A]": "standards: [M1-A/10kg, M1-A/5kg]"})
    cfg = load_bench(path)
    assert [w.id for w in cfg.standard_parts()] == ["M1-A/10kg", "M1-A/5kg"]
    assert cfg.used_entries()[0] == "M1-A"


def test_a_driver_without_connection_needs_no_resource(write_bench: Callable[..., Path]) -> None:
    path = write_bench(replace={"    resource: sim://fake-scale\n": ""})
    with pytest.raises(ConfigError, match="'scale' .*needs a resource"):
        load_bench(path)


BAD = [
    # (replace, with, message pattern, marker of the line it must name)
    ("driver: fake-scale", "driver: no-such-scale",
     r"unknown driver 'no-such-scale' \(known drivers: .*fake|unknown driver", "no-such-scale"),
    ("standards: [M1-A]", "standards: [M1-A, M9-Z]", r"standard 'M9-Z' is not in the register",
     "standards:"),
    ("max: 15 kg", "max: 15 ug/m^3", r"does not fit: expected a unit of \[mass\]",
     "max: 15 ug"),
    ("max: 15 kg,", "maxx: 15 kg,", r"unknown option 'maxx' for driver 'fake-scale'", "maxx"),
    ("resource: sim://fake-scale", "resource: TCPIP::host::99999::SOCKET",
     r"port '99999' is not a number", "99999"),
    ("role: loader", "role: dut", r"role 'dut' is given to both 'scale' and 'loader'",
     ("role: dut", 2)),
    ("environment: {instrument: thermo}", "environment: {instrument: nothere}",
     r"environment instrument 'nothere' is not one of", "environment:"),
    ("environment: {instrument: thermo}", "environment: {instrument: scale}",
     r"'scale' \(driver 'fake-scale'\) does not measure the environment", "environment:"),
    ("environment: {instrument: thermo}", "environment: {temperature: 20 kg}",
     r"does not fit: expected a unit of \[temperature\]", "environment:"),
    ("register: register.yaml", "register: ../elsewhere.yaml", r"register file .* not found",
     "register:"),
    ("timeout: 1 s", "timeout: 1 m", r"does not fit: expected a unit of \[time\]", "timeout"),
    ("serial: LOADER-01", "serial: M1-A",
     r"names the weight set 'M1-A', not a measuring instrument",
     "serial: M1-A"),
    ("seed: 11", "seed: eleven", r"seed: Input should be a valid integer", "seed:"),
    ("operator: A. Tester\n", "", r"operator: Field required", "name: test-bench"),
    ("    role: dut\n", "    role: dut\n    colour: blue\n", r"colour: Extra inputs",
     "colour"),
    ("sim: {serial: FS-77}", "sim: {serial: FS-77", r"malformed YAML", None),
]


@pytest.mark.parametrize(("old", "new", "pattern", "marker"), BAD,
                         ids=[b[2][:40] for b in BAD])
def test_bad_bench_is_one_line_naming_the_place(write_bench: Callable[..., Path], old: str,
                                                new: str, pattern: str,
                                                marker: str | tuple[str, int] | None) -> None:
    path = write_bench(replace={old: new})
    with pytest.raises(ConfigError) as info:
        load_bench(path)
    assert_one_line_naming_the_place(info.value, path, pattern, marker)


def test_data_plate_unit_is_a_unit_error(write_bench: Callable[..., Path]) -> None:
    path = write_bench(replace={"min: 100 g": "min: 100 ug/m^3"})
    with pytest.raises(UnitError, match=r"bench.yaml:\d+:\d+: quantity in µg/m³ does not fit"):
        load_bench(path)


def test_missing_bench_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_bench(tmp_path / "none.yaml")
