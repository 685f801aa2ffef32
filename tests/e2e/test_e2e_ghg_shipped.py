"""The shipped greenhouse-gas bench runs the shipped multipoint procedure out of the box,
through ``labctl run`` as a user types it, to a signed, stored record: per cylinder and
component an ``indication_error`` with its units, the fit of each component, the values
read through it; the five cylinders among the standards; the cylinder of each point in
the journal."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import journal_events, only_run, registry_url
from ghg_support import GHG_BENCH, GHG_PROCEDURE

from labctl.cli import main
from labctl.registry.store import open_registry


def test_the_shipped_ghg_bench_stores_a_record(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    url = registry_url(tmp_path)
    status = main(["run", str(GHG_PROCEDURE), "--bench", str(GHG_BENCH), "--runs-dir",
                   str(tmp_path / "runs"), "--registry", url])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "decision: pass" in out and "fit-co2" in out
    journal = only_run(tmp_path / "runs")
    events = journal_events(journal)
    selected = [(e["point"], e["port"], e["cylinder"]) for e in events
                if e.get("type") == "cylinder_selected"]
    assert selected == [(f"standards/0{i}", i, f"CYL-GHG-0{i}") for i in range(1, 6)]
    record_id = next(e["record_id"] for e in events if e.get("type") == "record_stored")
    with open_registry(url) as registry:
        record = registry.get(record_id)
    assert record.signature and record.hash and record.decision == "pass"
    for component, unit in (("CO2", "µmol/mol"), ("CH4", "nmol/mol")):
        errors = [p for p in record.points if p.test == "indication_error"
                  and p.details["component"] == component]
        assert len(errors) == 5
        for p in errors:
            for q in (p.nominal, p.indication, p.error, p.expanded_uncertainty, p.mpe):
                assert q.unit == unit, (p, q)
        (fit,) = [p for p in record.points if p.test == "function_fit"
                  and p.details["component"] == component]
        assert fit.details["function"] == "linear" and len(fit.details["covariance"]) == 2
        assert fit.details["goodness_of_fit"]["passed"] is True
        values = [p for p in record.points if p.test == "function_value"
                  and p.details["component"] == component]
        assert values and all(v.expanded_uncertainty.value <= v.mpe.value for v in values)
    assert {s.register_id for s in record.standards} == {f"CYL-GHG-0{i}" for i in range(1, 6)}
    assert "CH4" in next(s.description for s in record.standards)
