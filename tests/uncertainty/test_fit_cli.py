"""``labctl uncertainty FIT.yaml``: fit files from the command line and from Python."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labctl.cli import main
from labctl.uncertainty import FitFile, load_fit, loads_fit
from labctl.uncertainty.budgetfile import BudgetFile, load_uncertainty_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "budgets"
CO2 = str(EXAMPLES / "co2-analyzer-fit.yaml")
H3 = str(EXAMPLES / "gum-h3-thermometer-fit.yaml")
B1 = str(EXAMPLES / "iso6143-b1-fit.yaml")


def test_text_report_of_the_co2_analyzer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["uncertainty", CO2]) == 0
    out = capsys.readouterr().out
    for text in ("CO2 analyzer, multi-point calibration (simulated)", "c = b0 + b1*r",
                 "generalized least squares, 6 points", "Coefficients", "Correlation",
                 "Goodness of fit: acceptable", "gamma = 0.886 (<= 2, ISO 6143): ok", "Points",
                 "Values read through the fitted function", "r = 415.3 umol/mol",
                 "c = 416.175 umol/mol, u = 0.051 umol/mol"):
        assert text in out, text


def test_json_of_iso6143_example_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["uncertainty", B1, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    data = json.loads(out)
    assert data["kind"] == "fit" and data["function"] == "linear"
    assert data["direction"] == "analysis" and data["equation"] == "x = b0 + b1*y"
    b0, b1 = data["coefficients"]
    assert b0["value"] == pytest.approx(-0.35747, abs=5e-6)
    assert b1["standard_uncertainty"] == pytest.approx(0.48048, abs=5e-6)
    assert data["covariance"][0][1] == pytest.approx(-0.056921, abs=5e-7)
    g = data["goodness_of_fit"]
    assert g["residual_sum"] == pytest.approx(0.6743, abs=5e-5)
    assert g["gamma"] == pytest.approx(0.568, abs=5e-4) and g["passed"] is True
    assert g["dof"] == 1 and 0 < g["p_value"] < 1
    assert len(data["points"]) == 3 and data["points"][0]["u_x"] == 0.045
    reads = data["read"]
    assert [r["quantity"] for r in reads] == ["x", "x", "x"]
    assert reads[0]["value"] == pytest.approx(5.9923, abs=5e-5)
    assert reads[0]["standard_uncertainty"] == pytest.approx(0.16377, abs=5e-6)
    assert reads[0]["dof"] is None  # infinite: the uncertainties were known
    assert data["read_covariance"][1][2] == pytest.approx(0.137, abs=5e-4)


def test_gum_h3_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["uncertainty", H3, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ordinary_least_squares"] is True
    assert data["goodness_of_fit"]["residual_sd"] == pytest.approx(0.0035, abs=5e-5)
    assert data["goodness_of_fit"]["gamma"] is None
    (read,) = data["read"]
    assert read["quantity"] == "y" and read["from"] == 30 and read["dof"] == 9
    assert read["value"] == pytest.approx(-0.1494, abs=5e-5)
    assert read["standard_uncertainty"] == pytest.approx(0.0041, abs=5e-5)
    assert read["extrapolated"] is True and data["notes"]
    assert main(["uncertainty", H3, "--rounding", "nearest"]) == 0
    out = capsys.readouterr().out
    assert "b = -0.1494 delta_degC" in out and "ordinary least squares, 11 points" in out
    assert "s = 0.0035 delta_degC (9 dof)" in out


def test_budget_options_are_refused_for_a_fit_file(capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    for option in (["--trials", "100"], ["--seed", "1"], ["--no-mc"], ["--plot", "x.png"]):
        assert main(["uncertainty", B1, *option]) == 2
        err = capsys.readouterr().err
        assert f"{option[0]}: applies to budget files, not to a fit file" in err


def test_python_api_loads_fit_files() -> None:
    loaded = load_fit(B1)
    assert isinstance(loaded, FitFile) and loaded.title.startswith("ISO 6143")
    assert loaded.reads[2].value == pytest.approx(43.943, abs=5e-4)
    assert isinstance(load_uncertainty_file(B1), FitFile)
    assert isinstance(load_uncertainty_file(EXAMPLES / "gum-h1.yaml"), BudgetFile)


def test_quantities_with_units_are_converted() -> None:
    text = """
function: linear
x: {name: c, unit: umol/mol}
y: {name: r, unit: mV}
points:
  - {x: 0 umol/mol, u_x: 20 nmol/mol, y: 0.12 mV, u_y: 0.05}
  - {x: 0.2 mmol/mol, u_x: 0.05, y: 200.3, u_y: 50 uV}
  - {x: 400, u_x: 0.05, y: 0.3998 V, u_y: 0.05}
  - {x: 600, u_x: 0.06, y: 600.2, u_y: 0.05}
read:
  - {y: 0.3 V, u_y: 0.05 mV}
"""
    loaded = loads_fit(text, "units.yaml")
    pts = loaded.fit.points
    assert pts[0].u_x == pytest.approx(0.02) and pts[1].x == pytest.approx(200.0)
    assert pts[1].u_y == pytest.approx(0.05) and pts[2].y == pytest.approx(399.8)
    assert loaded.reads[0].given == pytest.approx(300.0)
    assert loaded.reads[0].u_given_value == pytest.approx(0.05)
    assert loaded.fit.coefficient_units() == ["umol/mol", "umol/mol/mV"]


def test_offset_unit_uncertainties_convert_as_differences() -> None:
    text = """
function: linear
direction: calibration
x: {unit: degC}
y: {unit: delta_degC}
points:
  - {x: 20 degC, u_x: 10 mK, y: 0.10, u_y: 0.01}
  - {x: 293.65 K, u_x: 0.01, y: 0.21, u_y: 0.01}
  - {x: 21, u_x: 0.01, y: 0.29, u_y: 0.01}
  - {x: 21.5, u_x: 0.01, y: 0.41, u_y: 0.01}
"""
    pts = loads_fit(text).fit.points
    assert pts[0].x == pytest.approx(20.0) and pts[0].u_x == pytest.approx(0.01)
    assert pts[1].x == pytest.approx(20.5)


def test_a_rejected_fit_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ISO 6143 Annex B.2.3 (example 3) fitted with a straight line: gamma = 6.84."""
    from test_fit_published import ISO6143_B3

    lines = [f"  - {{x: {x}, u_x: {ux}, y: {y}, u_y: {uy}}}" for x, ux, y, uy in ISO6143_B3]
    path = tmp_path / "b3-line.yaml"
    path.write_text("function: linear\npoints:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert main(["uncertainty", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Goodness of fit: not acceptable" in out
    assert "gamma = 6.84 (<= 2, ISO 6143): not met" in out
    assert "chi-square S = 272.6 with 10 dof, p = " in out


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*-fit.yaml")))
def test_every_fit_example_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["uncertainty", str(EXAMPLES / name), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "fit" and data["read"]
