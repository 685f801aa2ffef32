"""Bad input to the greenhouse-gas calibration, end to end through ``labctl run``: exit
status 2, one line on stderr naming the place and what to do, and the stream selector
never turned (no ``GO`` reached its simulator): fewer calibration points than the fitted
function needs (at load time, and at plan time when the bench plumbs fewer distinct
cylinders), a port without a cylinder, a cylinder that does not certify a component the
procedure calibrates, a bench plumbing a cylinder it does not list."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from e2e_support import registry_url
from ghg_support import ghg_bench, ghg_procedure

from labctl.cli import main

FIVE = "      - {port: 1}\n      - {port: 2}\n      - {port: 3}\n      - {port: 4}\n" \
       "      - {port: 5}\n"


@pytest.fixture
def moves(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every GO command the selector's simulator received."""
    from labctl.sim.gas.selector_sim import StreamSelectorSim

    seen: list[str] = []
    real = StreamSelectorSim.handle

    def handle(self: StreamSelectorSim, line: str) -> Any:
        if line.strip().upper().startswith("GO"):
            seen.append(line.strip())
        return real(self, line)

    monkeypatch.setattr(StreamSelectorSim, "handle", handle)
    return seen


def refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], procedure: Path,
            bench: Path) -> str:
    status = main(["run", str(procedure), "--bench", str(bench), "--runs-dir",
                   str(tmp_path / "runs"), "--registry", registry_url(tmp_path), "-q"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 2, lines
    assert len(lines) == 1 and lines[0].startswith("labctl: error: "), lines
    return lines[0]


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_two_cylinders_are_refused_for_a_straight_line(tmp_path: Path, moves: list[str],
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    procedure = ghg_procedure(tmp_path, {FIVE: "      - {port: 1}\n      - {port: 2}\n"})
    error = refused(tmp_path, capsys, procedure, ghg_bench(tmp_path))
    at = line_of(procedure, "points:")
    assert re.search(rf"ghg-multipoint\.yaml:{at}:\d+: step 'standards' gives 2 distinct "
                     r"calibration points .* linear fit .* needs at least 3", error), error
    assert "add cylinders" in error and moves == []


def test_a_quadratic_needs_four_cylinders(tmp_path: Path, moves: list[str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    procedure = ghg_procedure(tmp_path, {
        FIVE: "      - {port: 1}\n      - {port: 2}\n      - {port: 3}\n      - {port: 2}\n",
        "function: linear               # or quadratic": "function: quadratic  # or"})
    error = refused(tmp_path, capsys, procedure, ghg_bench(tmp_path))
    assert re.search(r"gives 3 distinct calibration points \(ports 1, 2, 3\) but the "
                     r"quadratic fit .* needs at least 4", error), error
    assert moves == []


def test_a_port_without_a_cylinder_is_refused_at_plan_time(
        tmp_path: Path, moves: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    def unplug(data: dict) -> None:
        for block in ("options", "sim"):
            data["instruments"]["selector"][block]["ports"].pop(4, None)   # one mapping (an anchor)

    procedure = ghg_procedure(tmp_path, {})
    error = refused(tmp_path, capsys, procedure, ghg_bench(tmp_path, unplug))
    at = line_of(procedure, "select_cylinder")
    assert re.search(rf"ghg-multipoint\.yaml:{at}:\d+: standards point 4: port 4 of "
                     r"'selector' has no cylinder on this bench", error), error
    assert moves == []


def test_a_bench_plumbing_too_few_distinct_cylinders_is_refused(
        tmp_path: Path, moves: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    def same(data: dict) -> None:
        for block in ("options", "sim"):
            ports = data["instruments"]["selector"][block]["ports"]
            ports.update({3: "CYL-GHG-01", 4: "CYL-GHG-02", 5: "CYL-GHG-01"})

    procedure = ghg_procedure(tmp_path, {})
    error = refused(tmp_path, capsys, procedure, ghg_bench(tmp_path, same))
    assert re.search(r"ghg-multipoint\.yaml:\d+:\d+: step 'standards' selects 2 distinct "
                     r"cylinders on this bench \(CYL-GHG-01, CYL-GHG-02\)", error), error
    assert moves == []


def test_a_cylinder_without_methane_is_refused(tmp_path: Path, moves: list[str],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    def co(data: dict) -> None:
        for block in ("options", "sim"):
            data["instruments"]["selector"][block]["ports"][5] = "CYL-CO-01"
        data["standards"].append("CYL-CO-01")

    error = refused(tmp_path, capsys, ghg_procedure(tmp_path, {}), ghg_bench(tmp_path, co))
    assert re.search(r"cylinder CYL-CO-01 on port 5 does not certify CO2", error), error
    assert moves == []


def test_a_bench_plumbing_an_unlisted_cylinder_is_refused(
        tmp_path: Path, moves: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    def unlisted(data: dict) -> None:
        data["standards"].remove("CYL-GHG-05")

    error = refused(tmp_path, capsys, ghg_procedure(tmp_path, {}),
                    ghg_bench(tmp_path, unlisted))
    assert re.search(r"sim-ghg\.yaml:\d+:\d+: port 5: cylinder 'CYL-GHG-05' is not among "
                     r"the bench's (standards|cylinders)", error), error
    assert moves == []
