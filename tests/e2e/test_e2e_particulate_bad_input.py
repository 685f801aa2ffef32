"""Bad input to the particulate family, end to end through ``labctl run``: exit status 2
and one line on stderr naming the place (file:line:col, or instrument and command).

What can be checked beforehand (a set point outside the generator's range, a quantity of
the wrong kind, a sim parameter without its unit, a logger that answers to another MN or
password) is refused before the generator's output is ever switched on. An instrument
that fails during the run (a monitor that stops reporting, a chamber that never
stabilises) ends it with the journal closed and the generator's output off.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    copy_text,
    failed_with_output_off,
    one_error_line,
    refused_before_start,
    run_cli,
)
from particulate_support import PM_BENCH, PM_PROCEDURE, pm_bench

run = run_cli


BEFORE = {
    "set point above the generator's range": (
        "procedure", "      - {level: 400 ug/m^3}", "      - {level: 1200 ug/m^3}",
        r"pm25-jjf1659\.yaml:\d+:\d+: .*concentration 1200(\.0)? µg/m³: 1200 µg/m³ is outside "
        r"the limits \[0, 1000\] µg/m³"),
    "a velocity where a concentration is due": (
        "procedure", "      - {level: 50 ug/m^3}", "      - {level: 4.6 m/s}",
        r"pm25-jjf1659\.yaml:\d+:\d+: .*concentration.*(m/s|meter / second).*does not fit"),
    "a level outside the reference's certified range": (
        "procedure", "      - {level: 400 ug/m^3}", "      - {level: 600 ug/m^3}",
        r"register\.yaml:\d+:\d+: concentration_error: levels/03 reads the reference RPM-01 "
        r"\(pm25, certificate PM-2026-0915\) with generator's concentration set to: 600 µg/m³ "
        r"is outside the certified range 50 to 400 µg/m³: the certificate is not "
        r"extrapolated \(the set point is at \S+pm25-jjf1659\.yaml:\d+:\d+;"),
    "a concentration where a flow is due": (
        "bench", "      flow: 16.72 L/min", "      flow: 16.72 ug/m^3",
        r"sim-pm25\.yaml:\d+:\d+: .*does not fit"),
    "a chamber humidity above 100 %": (
        "bench", "      humidity: 40 %", "      humidity: 140 %",
        r"sim-pm25\.yaml:\d+:\d+: humidity = 140 % is out of range \(at most 100 %\)"),
    "a sim parameter without its unit": (
        "bench", "      t90: 120 s", "      t90: 120",
        r"sim-pm25\.yaml:\d+:\d+: t90: 120 has no unit: expected a duration"),
}


@pytest.mark.parametrize("case", list(BEFORE))
def test_refused_before_the_generator_starts(case: str, tmp_path: Path,
                                             generator: dict[str, Any],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    which, old, new, message = BEFORE[case]
    procedure, bench = PM_PROCEDURE, PM_BENCH
    if which == "procedure":
        procedure = copy_text(PM_PROCEDURE, tmp_path / "pm25-jjf1659.yaml", {old: new})
    else:
        copy_text(PM_BENCH.parent / "register.yaml", tmp_path / "register.yaml")
        bench = copy_text(PM_BENCH, tmp_path / "sim-pm25.yaml", {old: new})
    line = refused_before_start(procedure, bench, tmp_path, capsys, generator["outputs"])
    assert re.search(message, line), line


@pytest.mark.parametrize(("option", "value", "why"), [
    ("mn", "LABCTL-PM-0099", r"QnRtn=4 \(wrong MN"),
    ("pw", "654321", r"QnRtn=3 \(wrong password\)"),
])
def test_a_logger_that_answers_to_another_mn_or_password(
        option: str, value: str, why: str, tmp_path: Path, generator: dict[str, Any],
        capsys: pytest.CaptureFixture[str]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["monitor"]["options"][option] = value
        if option == "mn":
            data["instruments"]["monitor"]["serial"] = value

    assert run(PM_PROCEDURE, pm_bench(tmp_path, edit), tmp_path) == 2
    line = one_error_line(capsys)
    assert re.search(r"instrument 'monitor', command 'identify \(CN 2011 QN=\d+\)'", line), line
    assert re.search(why, line), line
    assert True not in generator["outputs"]


DURING = {
    "the monitor stops reporting": (
        lambda data: data["instruments"]["monitor"]["sim"].update(stop_after="40 min"),
        (), r"run \S+ failed: instrument 'monitor', command 'read pm25 \(CN 2011\)': "
            r"the data logger did not answer within 5 s", "monitor"),
    "the chamber never stabilises": (
        lambda data: data["instruments"]["generator"]["sim"].update(unsteady="20 %"),
        ("--param", "settle_timeout=20 min"),
        r"run \S+ failed: reference did not settle within 1200 s \(slope", None),
}


@pytest.mark.parametrize("case", list(DURING))
def test_a_failure_during_the_run_leaves_the_generator_off(
        case: str, tmp_path: Path, generator: dict[str, Any],
        capsys: pytest.CaptureFixture[str]) -> None:
    edit, extra, message, instrument = DURING[case]
    # the generator had been switched on, and is off at the end (its safe state)
    line, events = failed_with_output_off(PM_PROCEDURE, pm_bench(tmp_path, edit), tmp_path,
                                          capsys, generator, *extra)
    assert re.search(message, line), line
    errors = [e for e in events if e["type"] == "error"]
    assert [(e["during"], e["instrument"]) for e in errors] == [("run", instrument)]
    assert generator["bench"].devices["generator"].on is False
