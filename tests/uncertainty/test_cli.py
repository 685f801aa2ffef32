"""``labctl uncertainty``: the text report, --json, --plot, --no-mc."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labctl.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "budgets"
H1 = str(EXAMPLES / "gum-h1.yaml")


def test_gum_h1_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["uncertainty", H1, "--trials", "20000", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    # GUM H.1: l = 50.000 838 mm, u_c = 32 nm, nu_eff = 16, U99 = 93 nm (k = t99(16) = 2.92)
    assert "l = 50.000 838 mm, u_c = 32 nm, nu_eff = 16, U(99 %) = 93 nm (k = 2.92)" in out
    for text in ("Uncertainty budget (GUM)", "delta_theta", "rectangular", "GUM and Monte "
                 "Carlo", "20,000 trials", "99 % interval", "shortest", "JCGM 101 validation",
                 "Conformity (guard_band_U)", "fail"):
        assert text in out, text


def test_gum_h1_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["uncertainty", H1, "--json", "--trials", "20000", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert out.count("\n") == 1  # one JSON object on one line
    assert data["unit"] == "mm" and data["effective_dof"] == 16
    assert data["value"] == pytest.approx(50.000838, abs=5e-7)
    assert data["standard_uncertainty"] == pytest.approx(32e-6, abs=0.5e-6)
    assert data["coverage_probability"] == 0.99
    assert data["coverage_factor"] == pytest.approx(2.92, abs=0.005)
    assert [c["name"] for c in data["components"]] == ["l_s", "d", "delta_alpha", "theta",
                                                       "alpha_s", "delta_theta"]
    theta = data["components"][3]
    assert theta["dof"] is None and theta["sensitivity"] == 0
    mcm = data["mcm"]
    assert mcm["trials"] == 20000 and len(mcm["shortest_interval"]) == 2
    assert isinstance(mcm["validated"], bool)
    assert data["decision"]["result"] == "fail" and data["decision"]["rule"] == "guard_band_U"


def test_seed_makes_monte_carlo_repeatable(capsys: pytest.CaptureFixture[str]) -> None:
    runs = []
    for _ in range(2):
        assert main(["uncertainty", H1, "--json", "--trials", "5000", "--seed", "3"]) == 0
        runs.append(json.loads(capsys.readouterr().out)["mcm"])
    assert runs[0] == runs[1]


def test_no_mc(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["uncertainty", H1, "--json", "--no-mc"]) == 0
    assert json.loads(capsys.readouterr().out)["mcm"] is None
    assert main(["uncertainty", H1, "--no-mc"]) == 0
    out = capsys.readouterr().out
    assert "Monte Carlo," not in out and "u_c = 32 nm" in out


def test_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "h1.png"
    assert main(["uncertainty", H1, "--plot", str(png), "--trials", "20000", "--seed",
                 "1"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000
    assert f"histogram written to {png}" in capsys.readouterr().out


def test_plot_to_an_unwritable_place(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing-dir" / "h1.png"
    assert main(["uncertainty", H1, "--plot", str(target), "--trials", "2000"]) == 2
    err = capsys.readouterr().err
    assert "cannot write the plot" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")
                                         if not p.stem.endswith("-fit")))  # test_fit_cli
def test_every_example_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["uncertainty", str(EXAMPLES / name), "--trials", "5000", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mcm"]["trials"] == 5000


def test_rounding_modes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["uncertainty", str(EXAMPLES / "gum-h2-resistance.yaml"), "--no-mc"]) == 0
    assert "u_c = 71 mΩ" in capsys.readouterr().out  # 71.07: GUM 7.2.6 rounds down
    assert main(["uncertainty", str(EXAMPLES / "gum-h2-resistance.yaml"), "--no-mc",
                 "--rounding", "up"]) == 0
    assert "u_c = 72 mΩ" in capsys.readouterr().out


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["uncertainty", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--json", "--plot", "--trials", "--seed", "--no-mc"):
        assert option in out
