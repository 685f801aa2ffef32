"""What a newcomer trips over (issue 8, item 10), end to end on the shipped benches.

One run of the shipped scale verification (module fixture) is read the way a new user
reads it: the summary's counts against the progress bar's, the repeatability table's
range, the eccentricity positions, the units, the numbers, the standards the record
lists, the simulated mark in ``registry list``/``show`` and the certificate, ``registry
show`` at 80 columns and ``reanalyse --json`` without ``--supersedes``. The particulate
and gas results are rendered at 80 columns too. The README names the options users ask
for.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from e2e_support import (
    PROCEDURE,
    ROOT,
    SHIPPED_BENCH,
    bench_copy,
    journal_events,
    only_run,
    registry_url,
)

from labctl.cli import main

# the register's M1-A set, its certificate two years out of date
EXPIRED = {"    calibrated: 2025-09-15\n    due: 2027-09-14":
           "    calibrated: 2019-09-15\n    due: 2021-09-14"}
NEGATIVE_ZERO = re.compile(r"(?<![\w.])-0(?:\.0+)?(?![\d.])")


def _run(folder: Path, procedure: Path, bench: Path, *extra: str) -> SimpleNamespace:
    """``labctl run`` into a registry of ``folder``: its output, record and journal."""
    out = io.StringIO()
    record_file = folder / "record.json"
    with contextlib.redirect_stdout(out):
        status = main(["run", str(procedure), "--bench", str(bench), "--runs-dir",
                       str(folder / "runs"), "--registry", registry_url(folder), "--json",
                       str(record_file), "-q", *extra])
    assert status == 0, out.getvalue()
    return SimpleNamespace(folder=folder, text=out.getvalue(), registry=registry_url(folder),
                           record=json.loads(record_file.read_text(encoding="utf-8")),
                           events=journal_events(only_run(folder / "runs")))


@pytest.fixture(scope="module")
def scale(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    folder = tmp_path_factory.mktemp("newcomer")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABCTL_HOME", str(folder / "home"))
        mp.delenv("LABCTL_REGISTRY", raising=False)
        return _run(folder, PROCEDURE, SHIPPED_BENCH)


def _block(text: str, title_part: str) -> str:
    """The lines of the table whose title contains ``title_part``, to its blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if title_part in line)
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return "\n".join(lines[start:end])


def _record(data: dict[str, Any]) -> Any:
    from labctl.registry.record import Record

    return Record.model_validate(data)


def _render(renderable: Any, width: int = 80) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=width, highlight=False, color_system=None).print(renderable)
    return buffer.getvalue()


# -- counts ------------------------------------------------------------------------------


def test_the_summary_says_what_the_progress_bar_and_the_table_count(scale: SimpleNamespace
                                                                     ) -> None:
    planned = next(e for e in scale.events if e["type"] == "plan")["points"]
    measured = list(dict.fromkeys(e["point"] for e in scale.events
                                  if e["type"] == "point_finished"))
    assert len(measured) == len(planned)  # the progress bar's total and its end
    results = len(scale.record["points"])
    assert results != len(measured)  # 31 rows and 30 points: the line says why
    line = next(line for line in scale.text.splitlines() if " results from the " in line)
    assert line.startswith(f"{results} results from the {len(measured)} points measured")
    said = scale.text.split(line)[0][-1:] + line + scale.text.split(line)[1].split("decision:")[0]
    assert "warm_up/01" in said and "tare/01 gives 2 (tare, tare_setting)" in " ".join(
        said.split())


# -- what the columns hold ---------------------------------------------------------------


def test_the_repeatability_column_is_the_range(scale: SimpleNamespace) -> None:
    series = [p for p in scale.record["points"] if p["test"] == "repeatability"]
    assert series and all(p["details"]["error_label"] == "range" for p in series)
    block = _block(scale.text, "(repeatability)")
    head = block.splitlines()[1:3]
    assert any("range" in line for line in head), block
    assert not any("error" in line for line in head), block


def test_the_eccentricity_rows_show_the_position(scale: SimpleNamespace) -> None:
    block = _block(scale.text, "(eccentricity)")
    assert "position" in block
    for p in (p for p in scale.record["points"] if p["test"] == "eccentricity"):
        row = next(line for line in block.splitlines() if line.startswith(p["point"]))
        assert re.search(rf"\b{p['details']['position']}\b", row), row


# -- numbers and units -------------------------------------------------------------------


def test_numbers_and_units_read_as_people_write_them() -> None:
    from labctl.numbers import (
        number_text,
        quantity_text,
        readable_units,
        uncertainty_text,
        unit_text,
        value_text,
    )
    from labctl.units import Q_

    assert number_text(0.006999999999999999) == "0.007"
    assert quantity_text(Q_(0.006999999999999999, "kg"), sign=True) == "+0.007 kg"
    assert number_text(-0.0) == "0" and number_text(-0.0004, resolution=0.01) == "0.00"
    assert value_text(-1.6e-3, 0.92) == "0.00" and value_text(2.0451, 0.96) == "2.05"
    assert uncertainty_text(0.0006447) == "0.00064" and uncertainty_text(3) == "3.0"
    assert unit_text("delta_degree_Celsius") == "°C" and unit_text("µg/m**3") == "µg/m³"
    assert quantity_text({"value": 0.2, "unit": "delta_degree_Celsius"}) == "0.2 °C"
    assert readable_units("U = 0.2 delta_degree_Celsius (k = 2)") == "U = 0.2 °C (k = 2)"
    assert number_text(15.0) == "15" and number_text(None) == "-"


def test_no_float_noise_or_negative_zero_in_what_a_run_prints(
        scale: SimpleNamespace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert not NEGATIVE_ZERO.search(scale.text), NEGATIVE_ZERO.search(scale.text)
    assert main(["run", str(PROCEDURE), "--bench", str(SHIPPED_BENCH), "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "then +0.007 kg" in plan
    assert not re.search(r"\d\.\d*(?:0000|9999)\d", plan), "float noise in the dry run"
    assert "15.0 kg" not in plan and "Max=15 kg" in plan


# -- the standards used ------------------------------------------------------------------


def test_the_record_lists_the_standards_used(scale: SimpleNamespace) -> None:
    placed = {w for e in scale.events if e["type"] == "load" for w in e.get("weights", ())}
    listed = {s["register_id"] for s in scale.record["standards"]}
    assert listed == placed | {"TH-01"}  # the weights put on, and the thermo-hygrometer
    started = next(e for e in scale.events if e["type"] == "run_started")
    on_bench = {s["id"] for s in started["standards_data"]}
    assert on_bench - listed  # the bench has weights this run never used
    for s in scale.record["standards"]:
        assert s["issued_by"] and s["certificate"] and s["corrections"], s
    ten_kg = next(s for s in scale.record["standards"] if s["register_id"] == "M1-A/10kg")
    assert "correction +120 mg" in ten_kg["corrections"]


# -- registry show, list and the certificate ---------------------------------------------


def test_registry_show_fits_80_columns_with_units_and_the_simulated_mark(
        scale: SimpleNamespace, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["registry", "show", scale.record["id"], "--registry", scale.registry]) == 0
    shown = capsys.readouterr().out
    assert max(len(line.rstrip()) for line in shown.splitlines()) <= 80
    assert "…" not in shown
    assert "delta_degree" not in shown and "temperature U = 0.2 °C (k = 2)" in shown
    heads = [line for line in shown.splitlines() if line.startswith("standard ")]
    assert heads and all("description" in h and "U (k)" in h for h in heads)
    assert "SIMULATED" in shown and "loader, scale, thermo" in shown
    assert "M1-A/20g " not in shown and "M1-A/10kg" in shown


def test_simulated_records_are_marked(scale: SimpleNamespace, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    record = _record(scale.record)
    assert record.simulated == ["loader", "scale", "thermo"] and record.is_simulated
    real = record.model_copy(update={"simulated": None, "virtual_clock": False})
    assert not real.is_simulated
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["registry", "list", "--registry", scale.registry, "--json"]) == 0
    assert [r["simulated"] for r in json.loads(capsys.readouterr().out)] == [True]
    assert main(["registry", "list", "--registry", scale.registry]) == 0
    listed = capsys.readouterr().out
    assert f"{record.id[:8]} SIM" in listed
    assert "review: unreviewed" in listed       # the review status, on the record's lines
    assert all(len(line.rstrip()) <= 80 for line in listed.splitlines()), listed
    assert max(len(line.rstrip()) for line in listed.splitlines()) <= 80
    html = tmp_path / "cert.html"
    assert main(["certificate", record.id, "--registry", scale.registry, "--html", str(html),
                 "--draft"]) == 0
    assert "SIMULATED" in html.read_text(encoding="utf-8")


def test_an_expired_standard_is_warned_of_in_the_summary(tmp_path: Path) -> None:
    bench = bench_copy(tmp_path, register_replace=EXPIRED)
    reason = "recalibration booked for next week"
    run = _run(tmp_path, PROCEDURE, bench, "--allow-expired", reason)
    warning = next(line for line in run.text.splitlines() if line.startswith("WARNING"))
    assert "M1-A" in warning and "past the due date" in warning
    assert reason in " ".join(run.text.split())
    assert run.record["allow_expired"] == reason
    assert any("M1-A" in d and reason in d for d in run.record["method"]["deviations"])


# -- reanalyse ---------------------------------------------------------------------------


def test_reanalyse_json_without_supersedes_writes_the_points(scale: SimpleNamespace,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "points.json"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["reanalyse", str(only_run(scale.folder / "runs")), "--procedure",
                     str(PROCEDURE), "--json", str(out)]) == 0
    assert f"points written to {out}" in buffer.getvalue()
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["record"] is None and written["decision"] == scale.record["decision"]
    assert [p["point"] for p in written["points"]] == \
        [p["point"] for p in scale.record["points"]]


# -- the other families at 80 columns ----------------------------------------------------


@pytest.mark.parametrize("procedure, bench, nominal_heads", [
    ("pm25-jjf1659.yaml", "sim-pm25.yaml",
     {"(indication_error)": "reference value", "(flow_indication_error)": "reference value",
      "(flow_deviation)": "nominal", "(repeatability)": "level", "(zero)": "nominal"}),
    ("gas-co-jjg915.yaml", "sim-gas-co.yaml",
     {"indication error": "reference value", "(repeatability)": "level",
      "(zero_drift)": "initial value"})])
def test_particulate_and_gas_results_fit_80_columns(procedure: str, bench: str,
                                                    nominal_heads: dict[str, str],
                                                    tmp_path: Path) -> None:
    from labctl.report.tables import points_table

    run = _run(tmp_path, ROOT / "procedures" / procedure, ROOT / "benches" / bench)
    record = _record(run.record)
    shown = _render(points_table(list(record.points), steps=record.method.steps))
    assert "…" not in shown and max(len(line.rstrip()) for line in shown.splitlines()) <= 80
    assert not NEGATIVE_ZERO.search(shown)
    for p in record.points:  # every result is there, and the RSD and T90 are named
        assert p.point in shown
    labels = {str(p.details.get("error_label")) for p in record.points}
    assert {"RSD", "T90"} <= labels
    assert "RSD" in _block(shown, "(repeatability)") and "T90" in _block(shown, "(response_time)")
    # the nominal column says what it holds, as the analysis names it; no "load" here
    for title, head in nominal_heads.items():
        assert re.search(rf"(?:^|  ){head}  ", _block(shown, title), re.M), (title, shown)
    assert not re.search(r"\bload\b", shown)


# -- the README --------------------------------------------------------------------------


def test_the_readme_names_the_options_users_look_for() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for option in ("--operator", "registry list --decision", "--rounding",
                   "--allow-expired", "reanalyse"):
        assert option in readme, option


@pytest.mark.parametrize("budget", ["gum-h1.yaml", "co2-analyzer-fit.yaml"])
def test_uncertainty_reports_fit_80_columns(budget: str, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    monkeypatch.setenv("COLUMNS", "80")  # a terminal 80 columns wide
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["uncertainty", str(ROOT / "examples" / "budgets" / budget)]) == 0
    shown = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert "Uncertainty budget" in shown or "Points" in shown
    assert "…" not in shown and max(len(line.rstrip()) for line in shown.splitlines()) <= 80
