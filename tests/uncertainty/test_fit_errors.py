"""Bad fit input: each mistake is one clear error at the file's line (or, from Python, a
``FitError`` naming the entry), saying what to do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labctl.cli import main
from labctl.errors import ConfigError, UnitError
from labctl.uncertainty import FitError, fit_calibration, loads_fit

POINTS = """\
points:
  - {x: 0.0, u_x: 0.02, y: 1.19, u_y: 0.04}
  - {x: 350.0, u_x: 0.05, y: 349.42, u_y: 0.04}
  - {x: 379.96, u_x: 0.05, y: 379.28, u_y: 0.04}
  - {x: 409.89, u_x: 0.05, y: 409.11, u_y: 0.04}
"""


def error_of(text: str, cls: type[ConfigError] = ConfigError) -> str:
    with pytest.raises(cls) as info:
        loads_fit(text, "fit.yaml")
    return str(info.value)


def test_fewer_points_than_the_function_needs_names_the_points_line() -> None:
    text = "title: too few\nfunction: quadratic\n" + POINTS.replace(
        "  - {x: 409.89, u_x: 0.05, y: 409.11, u_y: 0.04}\n", "")
    msg = error_of(text)
    assert msg.startswith("fit.yaml:3:1: points: a quadratic function has 3 coefficients: "
                          "it needs at least 4 calibration points, got 3")
    assert "add points or choose a function with fewer coefficients" in msg
    # four points are enough for the quadratic, two too few for a line
    assert loads_fit("function: quadratic\n" + POINTS).fit.dof == 1
    with pytest.raises(FitError, match="linear function has 2 coefficients"):
        fit_calibration([1, 2], [1, 2], u_x=[0.1, 0.1], u_y=[0.1, 0.1])


@pytest.mark.parametrize(("old", "new", "where", "key"), [
    ("u_y: 0.04}\n  - {x: 379.96", "u_y: 0}\n  - {x: 379.96", "fit.yaml:4:38",
     "points.1.u_y: u_y must be positive, got 0"),
    ("{x: 379.96, u_x: 0.05", "{x: 379.96, u_x: -0.05", "fit.yaml:5:17",
     "points.2.u_x: u_x must be positive, got -0.05"),
])
def test_non_positive_uncertainties(old: str, new: str, where: str, key: str) -> None:
    msg = error_of("function: linear\n" + POINTS.replace(old, new, 1))
    assert msg.startswith(f"{where}: {key}"), msg
    assert "a standard uncertainty is > 0" in msg


def test_an_uncertainty_given_for_some_points_only() -> None:
    msg = error_of(POINTS.replace("{x: 379.96, u_x: 0.05,", "{x: 379.96,"))
    assert msg.startswith("fit.yaml:4:5: points.2: u_x is missing here but given for other "
                          "points")


def test_unknown_dependent_uncertainty_with_a_known_independent_one() -> None:
    text = POINTS.replace(", u_x: 0.02", "").replace(", u_x: 0.05", "")
    msg = error_of(text)  # analysis function x = g(y): u_y given, u_x (dependent) missing
    assert "u_x is missing: with u_y given, the uncertainties of x are needed too" in msg


def test_a_fit_that_does_not_converge() -> None:
    text = """
function: exponential
points:
  - {x: 1, u_x: 0.01, y: 1, u_y: 0.01}
  - {x: 2, u_x: 0.01, y: 10, u_y: 0.01}
  - {x: 3, u_x: 0.01, y: 1, u_y: 0.01}
  - {x: 4, u_x: 0.01, y: 10, u_y: 0.01}
  - {x: 5, u_x: 0.01, y: 1, u_y: 0.01}
  - {x: 6, u_x: 0.01, y: 10, u_y: 0.01}
"""
    msg = error_of(text)
    assert msg.startswith("fit.yaml:3:1: points: the fit did not converge after ")
    assert "choose a function that can follow them" in msg


def test_points_that_do_not_determine_the_line() -> None:
    with pytest.raises(FitError, match="do not determine the coefficients"):
        fit_calibration([1, 1, 1], [2, 2, 2], u_y=[0.1] * 3, direction="calibration")


@pytest.mark.parametrize(("text", "start"), [
    ("function: spline\n" + POINTS, "fit.yaml:1:1: function: unknown function 'spline'"),
    ("direction: sideways\n" + POINTS, "fit.yaml:1:1: direction: unknown direction"),
    ("covariance: bootstrap\n" + POINTS, "fit.yaml:1:1: covariance: unknown covariance"),
    ("functon: linear\n" + POINTS, "fit.yaml:1:1: functon: Extra inputs are not permitted"),
    (POINTS + "read:\n  - {x: 400, y: 399}\n", "fit.yaml:7:5: read.0: give x (to read y"),
    (POINTS + "read:\n  - {y: 399, u_x: 0.1}\n", "fit.yaml:7:14: read.0.u_x: u_x does not "
                                                 "go with y"),
    (POINTS + "read:\n  - {x: 5000}\n", "fit.yaml:7:5: read.0: 5000 is out of reach"),
    ("- 1\n- 2\n", "fit.yaml:1:1: a fit file is a mapping"),
])
def test_located_errors(text: str, start: str) -> None:
    msg = error_of(text)
    assert msg.startswith(start), msg


def test_unit_errors_are_located() -> None:
    text = "x: {unit: umol/mol}\ny: {unit: umol/mol}\n" + POINTS.replace(
        "{x: 350.0,", "{x: 350 mg,")
    msg = error_of(text, UnitError)
    assert msg.startswith("fit.yaml:5:6: points.1.x: '350 mg' in mg does not fit")
    msg = error_of("x: {unit: furlongs_per_mol}\n" + POINTS, UnitError)
    assert msg.startswith("fit.yaml:1:5: x.unit: unknown unit 'furlongs_per_mol'")
    msg = error_of(POINTS.replace("{x: 350.0,", "{x: 350 umol/mol,"), UnitError)
    assert "has a unit, but this variable has none" in msg


def test_api_errors_name_the_entry() -> None:
    with pytest.raises(FitError) as info:
        fit_calibration([1, 2, np.nan], [1, 2, 3])
    assert info.value.key == ("points", 2, "x")
    with pytest.raises(FitError) as info:
        fit_calibration([1, 2, 3], [1, 2, 3], u_x=[0.1, 0.1], u_y=[0.1] * 3)
    assert "3 points but 2 values of u_x" in str(info.value)
    with pytest.raises(FitError, match="positive values"):
        fit_calibration([1, 2, 3, 4], [-1, 2, 3, 4], u_x=[0.1] * 4, u_y=[0.1] * 4,
                        function="power")
    fit = fit_calibration([1, 2, 3, 4], [1.1, 2.0, 2.9, 4.1], u_y=[0.1] * 4,
                          direction="calibration")
    with pytest.raises(FitError, match="non-negative uncertainty"):
        fit.read(2.0, -0.1)


def test_cli_prints_one_line_and_exits_2(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "few.yaml"
    path.write_text("function: cubic\n" + POINTS, encoding="utf-8")
    assert main(["uncertainty", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{path}:2:1: points: a cubic function has 4 coefficients" in err
