"""The JJG 635-2011 procedure and its data table agree: the procedure's test points,
repetitions and durations are those of the table's ``method:``; the limits follow the
accuracy class on the analyzer's data plate; every limit cites its clause."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.analysis.concentration.common import limit
from labctl.analysis.registry import AnalysisContext
from labctl.errors import ConfigError
from labctl.metrology.datafiles import load_data_file
from labctl.procedures.loading import load_procedure
from labctl.units import parse_quantity

ROOT = Path(__file__).resolve().parents[2]
TABLE = load_data_file("gas", "jjg635-2011", what="limits table", hint="")
PROCEDURE = load_procedure(ROOT / "procedures" / "gas-ndir-jjg635.yaml")


def default(name: str) -> object:
    return PROCEDURE.parameters[name].default


def reads(step_id: str, name: str) -> int:
    """How many read actions of the step take readings named ``name``."""
    return sum(1 for line in _step_text(step_id).splitlines() if f"as: {name}," in line)


def _step_text(step_id: str) -> str:
    text = (ROOT / "procedures" / "gas-ndir-jjg635.yaml").read_text(encoding="utf-8")
    start = text.index(f"  - id: {step_id}\n")
    end = text.find("\n  - id: ", start + 1)
    return text[start:end if end > 0 else None]


def test_the_procedure_uses_the_tables_method() -> None:
    method = TABLE["method"]
    indication = next(s for s in PROCEDURE.steps if s.id == "indication")
    assert [p["fraction"] for p in indication.points] == method["points"]
    assert default("readings") == method["readings"]
    assert default("repeat_fraction") == method["repeatability"]["fraction"]
    assert reads("repeatability", "repeat") == method["repeatability"]["readings"]
    assert default("response_fraction") == method["response_time"]["fraction"]
    response = next(s for s in PROCEDURE.steps if s.id == "response_time")
    assert response.repeat == method["response_time"]["steps"]
    assert default("span_fraction") == method["drift"]["span_fraction"]
    assert parse_quantity(default("drift_period")) == parse_quantity(method["drift"]["period"])
    assert PROCEDURE.data == {"limits": "jjg635-2011"}


def test_every_limit_cites_its_clause() -> None:
    for name, entry in TABLE["limits"].items():
        assert str(entry["source"]).startswith("JJG 635-2011, 3."), name


def context(plate: dict) -> AnalysisContext:
    return AnalysisContext(steps=(), data_plate=plate, standards=(),
                           data={"limits": "jjg635-2011"})


OPTIONS = {"limit": None, "limits_folder": "gas"}


@pytest.mark.parametrize(("klass", "fiducial", "repeat", "drift"), [
    ("1", 1.0, 0.5, 20.0), ("2", 2.0, 1.0, 40.0), ("5", 5.0, 2.0, 100.0)])
def test_the_limits_follow_the_accuracy_class(klass: str, fiducial: float, repeat: float,
                                              drift: float) -> None:
    ctx = context({"accuracy_class": klass, "range": "2000 umol/mol"})
    value, source = limit(ctx, OPTIONS, "gas_indication_error", "percent")
    assert value == pytest.approx(fiducial) and "3.1, Table 1" in source
    assert "from memory" in source
    assert limit(ctx, OPTIONS, "concentration_repeatability", "percent")[0] == \
        pytest.approx(repeat)
    value, source = limit(ctx, OPTIONS, "concentration_drift", "umol/mol")
    assert value == pytest.approx(drift) and "3.2.1 and 3.2.2" in source
    assert limit(ctx, OPTIONS, "response_time", "s")[0] == pytest.approx(30.0)


def test_a_class_the_table_does_not_know_is_refused_by_name() -> None:
    ctx = context({"accuracy_class": "3", "range": "2000 umol/mol"})
    with pytest.raises(ConfigError, match="no limit for accuracy_class '3'"):
        limit(ctx, OPTIONS, "gas_indication_error", "percent")
