"""Bad input, end to end through ``labctl run``: exit status 2 and one line on stderr
naming the place (file:line:col, or instrument and command).

What can be checked beforehand is refused before anything moves: no journal, no
weight placed, no zero set. An instrument that fails during the run (a fault plan on
its simulator) ends the run with the journal closed (``run_finished`` failed) and every
instrument's safe state reached.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    PROCEDURE,
    SHIPPED_BENCH,
    bench_copy,
    bench_with,
    copy_text,
    journal_events,
    only_run,
    registry_url,
)

from labctl.cli import main

# a line of the shipped bench's scale simulator, to insert parameters after
ECC = ("      eccentricity: {centre: 0.0, front: 1.0e-4, back: -0.8e-4, left: 0.6e-4, "
       "right: -0.5e-4}\n")


@pytest.fixture
def moves(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every action that moves a weight or sets the scale (not the safe state)."""
    from labctl.drivers.weighing.mtsics_scale import MtSicsScale
    from labctl.drivers.weighing.weights import AutoWeightLoader

    calls: list[str] = []
    for cls, names in ((AutoWeightLoader, ("place", "add")),
                       (MtSicsScale, ("zero", "tare", "read_stable", "read_immediate"))):
        for name in names:
            real = getattr(cls, name)

            def spy(self: Any, *args: Any, _real: Any = real, _name: str = name,
                    **kwargs: Any) -> Any:
                calls.append(f"{self.name}.{_name}")
                return _real(self, *args, **kwargs)

            monkeypatch.setattr(cls, name, spy)
    return calls


def run(procedure: Path, bench: Path, folder: Path, *extra: str) -> int:
    return main(["run", str(procedure), "--bench", str(bench), "--runs-dir",
                 str(folder / "runs"), "--registry", registry_url(folder), "-q", *extra])


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("labctl: error: "), lines[0]
    return lines[0]


# -- refused before anything moves ---------------------------------------------------

def proc_edit(old: str, new: str) -> Callable[[Path], tuple[Path, Path]]:
    def make(folder: Path) -> tuple[Path, Path]:
        return copy_text(PROCEDURE, folder / "proc.yaml", {old: new}), SHIPPED_BENCH
    return make


def bench_edit(old: str, new: str) -> Callable[[Path], tuple[Path, Path]]:
    def make(folder: Path) -> tuple[Path, Path]:
        return PROCEDURE, bench_copy(folder, replace={old: new})
    return make


ZERO_STEP_ZERO = ("      - unload: {role: loader}\n      - zero: {role: dut}\n"
                  "      - load: {role: loader, mass: load, position: centre}\n")
EXPIRED = {"    calibrated: 2025-09-15\n    due: 2027-09-14":
           "    calibrated: 2019-09-15\n    due: 2021-09-14"}

# case -> (make the files, the file the error names, text of the line it names, message)
REFUSED = {
    "procedure YAML": (proc_edit("kind: verification", "kind: verification: initial"),
                       "proc", "kind: verification: initial", r"malformed YAML: mapping"),
    "bench YAML": (bench_edit("    role: dut\n", "    role: dut: scale\n"),
                   "bench", "role: dut: scale", r"malformed YAML: mapping"),
    "unknown driver": (bench_edit("driver: mtsics-scale", "driver: nope-scale"),
                       "bench", "driver: nope-scale", r"unknown driver 'nope-scale'"),
    "unknown capability": (proc_edit("loader: {capability: weight_handler}",
                                     "loader: {capability: teleporter}"),
                           "proc", "teleporter", r".*unknown capability 'teleporter'"),
    "unknown role": (proc_edit(ZERO_STEP_ZERO, ZERO_STEP_ZERO.replace("{role: dut}",
                                                                      "{role: balance}")),
                     "proc", "zero: {role: balance}", r".*'balance'"),
    "missing role": (bench_edit("    role: loader\n", "    role: feeder\n"),
                     "bench", "instruments:",
                     r"the bench has no instrument in role 'loader' \(capability "
                     r"'weight_handler'\)"),
    "role bound to a driver without its capability": (
        lambda folder: (PROCEDURE, bench_copy(folder, replace={
            "    role: loader\n": "    role: feeder\n",
            "    role: environment\n": "    role: loader\n"})),
        "bench", "role: loader", r".*'loader'.*weight_handler"),
    "unit that does not fit": (
        proc_edit("      - {load: Min}\n      - {load: 500 * e}",
                  "      - {load: 30 ug/m^3}\n      - {load: 500 * e}"),
        "proc", "load", r"load_to at weighing/01: .*µg/m³ does not fit: expected a unit "
                        r"of \[mass\]"),
    "load above Max": (proc_edit("      - {load: 2000 * e}", "      - {load: Max + 10 * e}"),
                       "proc", "load", r".*15\.05 kg on the receptor is above .*15\.045 kg"),
    "weights the set cannot make": (
        proc_edit("      - {load: 500 * e}\n      - {load: Max / 2}",
                  "      - {load: 500 * e + 0.04 * d}\n      - {load: Max / 2}"),
        "proc", "load", r".*to reach 2\.5002 kg.*cannot make a load of 2\.4002 kg"),
    "expired standard": (
        lambda folder: (PROCEDURE, bench_copy(folder, register_replace=EXPIRED)),
        "register", "due: 2021-09-14",
        r"standard 'M1-A' is out of calibration: due 2021-09-14.*--allow-expired REASON"),
    "resource that does not open": (
        bench_edit("resource: sim://mtsics-scale", "resource: TCPIP::127.0.0.1::1::SOCKET"),
        "bench", "TCPIP::127.0.0.1::1::SOCKET",
        r"instrument 'scale': cannot open TCPIP::127\.0\.0\.1::1::SOCKET"),
    # every quantity of a bench file needs its unit; a bare number used to be taken in
    # the instrument's unit (noise: 0.2 on a scale in kg: 0.2 kg, and it never settled)
    "simulator quantity without its unit": (
        bench_edit("      noise: 0.15 g ", "      noise: 0.2    "), "bench", "noise: 0.2",
        r"noise: 0\.2 has no unit: expected a mass \(write the unit, e\.g\. '0\.2 kg'\)"),
    "data plate quantity without its unit": (
        bench_edit("      min: 100 g", "      min: 0.1"), "bench", "min: 0.1",
        r"min: 0\.1 has no unit: expected a mass \(write the unit, e\.g\. '0\.1 kg'\)"),
    "transport timeout without its unit": (
        bench_edit("      timeout: 2 s", "      timeout: 2"), "bench", "timeout: 2",
        r"timeout: 2 has no unit: expected a duration"),
    "simulated room temperature without its unit": (
        bench_edit("      temperature: 21.5 degC", "      temperature: 21.5"), "bench",
        "temperature: 21.5", r"temperature: 21\.5 has no unit: expected a temperature"),
    "simulated humidity without its %": (
        bench_edit("      humidity: 46 %", "      humidity: 46"), "bench", "humidity: 46",
        r"humidity: 46 has no unit: expected a value in %"),
    "fault time without its unit": (
        bench_edit(ECC, ECC + "      faults: [{kind: disconnect, at: 3600}]\n"),
        "bench", "at: 3600", r"at: 3600 has no unit: expected a duration"),
    "stated environment without its unit": (
        bench_edit("environment: {instrument: thermo}",
                   "environment: {temperature: 20, humidity: 50 %}"),
        "bench", "environment: {temperature: 20",
        r"environment temperature: 20 has no unit: expected a temperature"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_before_anything_moves(case: str, tmp_path: Path, moves: list[str],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    make, which, named, message = REFUSED[case]
    procedure, bench = make(tmp_path)
    assert run(procedure, bench, tmp_path) == 2
    line = one_error_line(capsys)
    file = {"proc": procedure, "bench": bench, "register": bench.parent / "register.yaml"}
    found = re.match(rf"labctl: error: {re.escape(str(file[which]))}:(\d+):\d+: {message}",
                     line)
    assert found, line
    text = file[which].read_text(encoding="utf-8").splitlines()[int(found[1]) - 1]
    assert named in text, (line, text)  # the line the error names is the culprit's
    assert not (tmp_path / "runs").exists()  # no journal: the run never started
    assert moves == []


def test_an_expired_standard_accepted_with_a_reason(tmp_path: Path, moves: list[str],
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    bench = bench_copy(tmp_path, register_replace=EXPIRED)
    reason = "recalibration booked for next week; check weighing against CP-A passed"
    out = tmp_path / "record.json"
    assert run(PROCEDURE, bench, tmp_path, "--allow-expired", reason, "--json", str(out)) == 0
    assert "error" not in capsys.readouterr().err
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["allow_expired"] == reason
    weights = [s for s in record["standards"] if s["register_id"].startswith("M1-A/")]
    assert weights and all(s["expired_allowed"] == reason and s["due_date"] == "2021-09-14"
                           for s in weights)
    started = journal_events(only_run(tmp_path / "runs"))[0]
    assert started["allow_expired"] == reason
    assert moves  # this one did run


def test_allow_expired_needs_a_reason(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert run(PROCEDURE, SHIPPED_BENCH, tmp_path, "--allow-expired", "  ") == 2
    assert "--allow-expired needs a reason" in one_error_line(capsys)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("url, words", [
    ("sqlite:///{folder}/no/such/dir/r.db", r"directory \S+/no/such/dir does not exist"),
    ("sqlit:///{folder}/r.db", r"'sqlit' databases are not supported"),
])
def test_a_registry_url_that_can_never_work_is_refused_before_the_run(
        url: str, words: str, tmp_path: Path, moves: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LABCTL_HOME", str(tmp_path / "home"))
    url = url.format(folder=tmp_path)
    assert main(["run", str(PROCEDURE), "--bench", str(SHIPPED_BENCH), "--runs-dir",
                 str(tmp_path / "runs"), "--registry", url, "-q"]) == 2
    line = one_error_line(capsys)
    assert re.search(words, line), line
    assert not (tmp_path / "runs").exists() and moves == []  # the run never started
    assert not (tmp_path / "home" / "outbox.db").exists()  # and nothing was queued


@pytest.mark.parametrize("which, content, words", [
    ("bench", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "the bench file is not UTF-8"),
    ("bench", "operator: L. Wang\nlab: Métrologie\n".encode("latin-1"),
     "the bench file is not UTF-8 text: byte 0xe9"),
    ("register", "lab: Laboratoire de métrologie\n".encode("cp1252"),
     "the register file is not UTF-8 text: byte 0xe9"),
    ("register", "lab: 计量院\n".encode("gbk"), "the register file is not UTF-8 text"),
])
def test_a_bench_or_register_that_is_not_utf8_text_is_one_line_naming_it(
        which: str, content: bytes, words: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    bench = bench_copy(tmp_path)
    target = bench if which == "bench" else tmp_path / "register.yaml"
    target.write_bytes(content)
    assert run(PROCEDURE, bench, tmp_path) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"labctl: error: {target}:") and words in line, line
    assert not (tmp_path / "runs").exists()


# -- an instrument that fails during the run -----------------------------------------

FAULTS = {
    # every S from the 5th on: the retries (2, the default) meet garbage too
    "scale replies garbage": ("scale", [{"kind": "garbage", "commands": ["S"], "after": 4}],
                              r"instrument 'scale', command 'S', reply .*not ascii"),
    "scale does not reply": ("scale", [{"kind": "timeout", "commands": ["S"], "after": 4}],
                             r"instrument 'scale', command 'S': no reply to S within"),
    # a garbled LOAD is settled by STAT? (issue 8 item 4): here STAT? is garbled too
    "loader replies garbage": ("loader", [{"kind": "garbage", "commands": ["LOAD", "STAT?"],
                                           "after": 3}],
                               r"instrument 'loader', command 'LOAD [^']*'"),
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_an_instrument_failing_during_the_run(case: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import labctl.bench.runtime as runtime

    instrument, faults, message = FAULTS[case]

    def edit(data: dict[str, Any]) -> None:
        data["instruments"][instrument]["sim"]["faults"] = faults

    bench = bench_with(tmp_path, edit)
    opened: list[Any] = []
    safe: list[str] = []
    real_open = runtime.open_bench

    def open_bench(*args: Any, **kwargs: Any) -> Any:
        bench = real_open(*args, **kwargs)
        for name, driver in bench.instruments.items():
            def safe_state(_driver: Any = driver, _name: str = name) -> None:
                safe.append(_name)
                type(_driver).safe_state(_driver)

            driver.safe_state = safe_state
        opened.append(bench)
        return bench

    monkeypatch.setattr(runtime, "open_bench", open_bench)
    assert run(PROCEDURE, bench, tmp_path) == 2
    line = one_error_line(capsys)
    assert re.match(r"labctl: error: run \S+ failed: " + message, line), line

    events = journal_events(only_run(tmp_path / "runs"))
    assert events[-1]["type"] == "run_finished" and events[-1]["state"] == "failed"
    errors = [e for e in events if e["type"] == "error"]
    assert [(e["during"], e["instrument"]) for e in errors] == [("run", instrument)]
    assert errors[0]["command"] and errors[0]["command"] in line
    assert [e["type"] for e in events].count("reading") >= 1  # it did run for a while

    # teardown: every instrument was put in its safe state, without error; the
    # loader took every weight off the receptor
    (bench_,) = opened
    assert set(safe) == set(bench_.instruments)
    platform = bench_.devices["loader"].platform
    assert platform.last.weights == {}
    fault_device = bench_.devices[instrument]
    assert fault_device.events and fault_device.events[0].kind == faults[0]["kind"]


def test_a_transient_fault_is_retried_and_journalled(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 8 item 4: one garbled reply and one lost reply to an idempotent query do not
    end the run: each is retried (the scale's ``retries: 3``), each retry journalled."""
    def edit(data: dict[str, Any]) -> None:
        scale = data["instruments"]["scale"]
        scale["retries"] = 3
        scale["sim"]["faults"] = [
            {"kind": "garbage", "commands": ["S"], "after": 4, "count": 1},
            {"kind": "timeout", "commands": ["S"], "after": 9, "count": 1},
        ]

    bench = bench_with(tmp_path, edit)
    assert run(PROCEDURE, bench, tmp_path) == 0, capsys.readouterr().err
    events = journal_events(only_run(tmp_path / "runs"))
    assert events[-2]["type"] == "run_finished" and events[-2]["state"] == "done"
    assert events[-1]["type"] == "record_stored"
    retries = [e for e in events if e["type"] == "retry"]
    assert [(e["instrument"], e["attempt"], e["allowed"], e["error_type"])
            for e in retries] == [("scale", 1, 3, "InstrumentError"),
                                  ("scale", 1, 3, "InstrumentTimeout")]
    assert all(e["what"] == "read_stable" and "instrument 'scale'" in e["error"]
               for e in retries)
    assert not [e for e in events if e["type"] == "error"]


def test_retries_in_the_bench_file_are_checked(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["scale"]["retries"] = "twice"

    bench = bench_with(tmp_path, edit)
    assert run(PROCEDURE, bench, tmp_path) == 2
    line = one_error_line(capsys)
    assert f"{bench}:" in line and "retries" in line, line


def test_retries_default_and_stated(tmp_path: Path) -> None:
    from labctl.bench import load_bench
    from labctl.drivers.base import DEFAULT_RETRIES

    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["scale"]["retries"] = 0

    config = load_bench(bench_with(tmp_path, edit))
    assert config.instruments["scale"].retries == 0
    assert config.instruments["loader"].retries == DEFAULT_RETRIES == 2


def test_garbled_replies_never_become_readings(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 8 item 3, as it was found: bad_checksum on 5 % of the scale's replies once
    turned ``kg`` into ``Pg`` and journalled 5e10 kg. Now a garbled reply the scale cannot
    have sent is refused and the query retried: every journalled reading is one the
    scale can indicate, and the retries say what was refused."""
    def edit(data: dict[str, Any]) -> None:
        data["instruments"]["scale"]["sim"]["faults"] = [
            {"kind": "bad_checksum", "probability": 0.05}]

    bench = bench_with(tmp_path, edit)
    code = run(PROCEDURE, bench, tmp_path, "--seed", "11")
    events = journal_events(only_run(tmp_path / "runs"))
    readings = [e for e in events if e["type"] == "reading" and e.get("role") == "dut"]
    assert readings
    for e in readings:
        if e["value"] is None:
            continue  # an overload reading has no value
        assert e["unit"] == "kg", e
        kg = e["value"]
        assert abs(kg) <= 15.045 and abs(kg / 0.005 - round(kg / 0.005)) < 1e-6, e
    retries = [e for e in events if e["type"] == "retry"]
    assert retries and all(e["instrument"] == "scale" for e in retries)
    assert code in (0, 2), capsys.readouterr().err
