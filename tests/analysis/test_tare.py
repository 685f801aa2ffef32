"""tare: the error of a net weighing after a tare."""

from __future__ import annotations

import pytest
from analysis_runner import run
from weighing_journal import Journal, mass


def _tare_point(j: Journal, n: int, net: tuple[str, ...], value: float) -> None:
    j.start("tare", f"tare/{n:02d}").load("S/5kg").read("tare", 0.0)
    j.load(*net, add=True).read("indication", value).unload().finish()


def test_net_error_against_the_mpe_of_the_net_load():
    j = Journal()
    _tare_point(j, 1, ("S/10kg",), 10.000)
    _tare_point(j, 2, ("S/2kg", "S/500g"), 2.510)
    first, second = run("tare", j, "tare")
    assert first.nominal.value == pytest.approx(10.0)
    assert first.error.value == pytest.approx(10.0 - mass("S/10kg"))
    assert first.mpe.value == pytest.approx(0.005)         # 2000 e: 1 e
    assert first.decision == "pass"
    assert first.details["tare_load"] == pytest.approx(5.0)
    assert first.details["gross_load"] == pytest.approx(15.0)
    assert [c["name"] for c in first.budget["components"]] == ["I", "I0", "Lnet", "dB", "dD"]
    assert second.mpe.value == pytest.approx(0.0025)        # 500 e: 0.5 e
    assert second.error.value == pytest.approx(2.510 - mass("S/2kg", "S/500g"))
    assert second.decision == "fail"                        # 10 g - 4.1 g > 2.5 g
    assert "after a tare of 5 kg" in second.notes


def test_a_point_without_its_tare_reading_is_an_error():
    from labctl.analysis.weighing.journal_view import JournalViewError

    j = Journal()
    j.weigh("tare", "tare/01", ("S/10kg",), 10.0)
    with pytest.raises(JournalViewError, match="no reading 'tare'"):
        run("tare", j, "tare")
