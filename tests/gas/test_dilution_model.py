"""The dilution model c = c0 Qs / (Qs + Qd) evaluated by labctl.uncertainty against its
closed form for uncorrelated inputs."""

from __future__ import annotations

import math

import pytest

from labctl.analysis.gas.dilution import closed_form_relative, dilution_budget


@pytest.mark.parametrize(("qs", "qd"), [(0.5, 0.0001), (0.4, 0.6), (0.1, 0.9), (0.02, 0.98),
                                        (0.01, 4.99)])
@pytest.mark.parametrize(("ur_c0", "ur_qs", "ur_qd"), [(0.005, 0.005, 0.005),
                                                        (0.01, 0.002, 0.008)])
def test_budget_matches_the_closed_form(qs: float, qd: float, ur_c0: float, ur_qs: float,
                                        ur_qd: float) -> None:
    c0 = 25000.0  # umol/mol
    result = dilution_budget(c0, 2 * ur_c0 * c0, 2.0, qs, ur_qs, qd, ur_qd)
    assert result.value == pytest.approx(c0 * qs / (qs + qd), rel=1e-12)
    expected = closed_form_relative(ur_c0, qs, ur_qs, qd, ur_qd)
    assert result.standard_uncertainty / result.value == pytest.approx(expected, rel=1e-9)


def test_undiluted_gas_carries_only_the_certificate() -> None:
    """With no dilution flow the flows cancel: u_r(c) = u_r(c0)."""
    result = dilution_budget(1000.0, 20.0, 2.0, 0.5, 0.01, 0.0, 0.01)
    assert result.value == pytest.approx(1000.0)
    assert result.standard_uncertainty == pytest.approx(10.0, rel=1e-9)


def test_a_dilution_of_one_in_fifty_is_dominated_by_the_flows() -> None:
    u_r = closed_form_relative(0.005, 0.02, 0.005, 0.98, 0.005)
    assert u_r == pytest.approx(math.sqrt(0.005 ** 2 + 0.98 ** 2 * 2 * 0.005 ** 2))
    assert u_r > 0.008


def test_the_shipped_budget_file_gives_the_closed_form(capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """``labctl uncertainty examples/budgets/gas-dilution.yaml`` evaluates the same model."""
    import json
    from pathlib import Path

    from labctl.cli import main

    path = Path(__file__).resolve().parents[2] / "examples" / "budgets" / "gas-dilution.yaml"
    assert main(["uncertainty", str(path), "--no-mc", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    u_r = closed_form_relative(0.005, 0.125, 0.005, 0.875, 0.005)
    assert data["value"] == pytest.approx(5000.0)
    assert data["standard_uncertainty"] == pytest.approx(5000.0 * u_r, rel=1e-9)
