"""Bad input to the gas family, end to end through ``labctl run``: exit status 2 and one
line on stderr naming the place (file:line:col, or instrument and setting) and what to do.

What can be checked beforehand is refused before the calibrator's outlet is ever opened:
a set point above what the cylinder and the flows can make, a dilution ratio outside
the MFCs' ranges, an expired cylinder, a cylinder of another component than the
procedure's, a %LEL (or ppm where the calibrator works in %LEL) without the cylinder's
LEL to convert it. An instrument that fails during the run ends it with the journal
closed and the calibrator's flows off.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    copy_text,
    one_error_line,
    refused_before_start,
    run_cli,
)
from gas_support import GAS_BENCH, GAS_PROCEDURE, detector_sim, failed_with_flows_off, gas_bench

run = run_cli


PLACE = r"gas-combustible-jjg693\.yaml:\d+:\d+: "
BEFORE = {
    "a set point above what the cylinder can make": (
        ("--param", "span_fraction=0.9"), None,
        PLACE + r".*concentration 90.*above what cylinder CYL-CH4-01 \(40000 umol/mol CH4\) "
                r"can make"),
    "a dilution ratio outside the MFCs' ranges": (
        ("--param", "repeat_fraction=0.01"), None,
        PLACE + r".*dilution ratio Qs/\(Qs\+Qd\) = 0\.0125: the source flow 0\.0125 L/min is "
                r"outside its MFC's range 0\.02 \.\. 1 L/min"),
    "a cylinder of another component": (
        ("--param", "component=C3H8"), None,
        PLACE + r".*the procedure expects C3H8 but cylinder CYL-CH4-01 \(GBW\(E\)061671\) "
                r"holds CH4 in air"),
    "%LEL without the cylinder's LEL": (
        (), lambda text: text.replace("    lel: 5.0 %vol              # methane, the "
                                      "convention the detectors use\n", ""),
        PLACE + r".*asks for %LEL but cylinder CYL-CH4-01 gives no LEL of CH4 to convert it"),
    "an expired cylinder": (
        (), lambda text: text.replace("    calibrated: 2026-06-11\n    due: 2027-06-10",
                                      "    calibrated: 2025-06-11\n    due: 2026-06-10"),
        r"register\.yaml:\d+:\d+: standard 'CYL-CH4-01' is out of calibration: due 2026-06-10"),
}


@pytest.mark.parametrize("case", list(BEFORE))
def test_refused_before_gas_flows(case: str, tmp_path: Path, calibrator: dict[str, Any],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    extra, register_edit, message = BEFORE[case]
    bench = gas_bench(tmp_path, register_edit=register_edit)
    line = refused_before_start(GAS_PROCEDURE, bench, tmp_path, capsys, calibrator["outputs"],
                                *extra)          # the outlet was never opened
    assert re.search(message, line), line


def test_a_sim_parameter_without_its_unit(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    copy_text(GAS_BENCH.parent / "register.yaml", tmp_path / "register.yaml")
    bench = copy_text(GAS_BENCH, tmp_path / "sim-gas-combustible.yaml",
                      {"      t90: 25 s": "      t90: 25"})
    assert run(GAS_PROCEDURE, bench, tmp_path) == 2
    line = one_error_line(capsys)
    assert re.search(r"sim-gas-combustible\.yaml:\d+:\d+: t90: 25 has no unit: expected a "
                     r"duration", line), line


def test_a_detector_that_stops_answering_leaves_the_flows_off(
        tmp_path: Path, calibrator: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["detector"]["sim"]["faults"] = [
            {"kind": "disconnect", "at": "30 min"}]

    # the outlet had been opened, and is closed at the end (its safe state): no gas flows
    line = failed_with_flows_off(GAS_PROCEDURE, gas_bench(tmp_path, edit), tmp_path, capsys,
                                 calibrator)
    assert re.search(r"run \S+ failed: instrument 'detector'", line), line


def test_a_detector_that_never_reaches_its_reading_is_named_and_the_flows_shut(
        tmp_path: Path, calibrator: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """A detector far too slow for the procedure (T90 900 s: it never comes to 90 % of a
    step within the settle timeout): the run fails on the first settle with a message
    that names the role and what to check, not with an invented reading or T90; the
    calibrator's outlet, opened for the step, is closed at the end."""
    bench = gas_bench(tmp_path, detector_sim(t90="900 s"))
    line = failed_with_flows_off(GAS_PROCEDURE, bench, tmp_path, capsys, calibrator)
    assert re.search(r"run \S+ failed: dut did not settle within 600 s .*check the source "
                     r"and the instrument", line), line
