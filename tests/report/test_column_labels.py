"""The analyses name their columns: a point's ``details["nominal_label"]`` (and
``error_label``, each with an optional Chinese ``..._label_zh``) says what its nominal
column holds, and the result tables, the certificate and the DCC head the column so. The
core has no word of its own for a family (a mass is not a "load" to it): without a label
the column is headed ``nominal``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

from labctl.registry.record import Record
from labctl.registry.store import open_registry
from labctl.report.certificate import build_view
from labctl.report.dcc import DCC, dcc_xml
from labctl.report.html import render_html
from labctl.report.tables import nominal_label
from labctl.report.tables import test_table as table_of
from labctl.report.view import column_heading
from labctl.results import PointResult, QuantityValue

NS = {"dcc": DCC}


def _point(point: str = "s/01", unit: str = "kg", **details: Any) -> PointResult:
    return PointResult(test="check", step="s", point=point,
                       nominal=QuantityValue.of(2.0, unit),
                       indication=QuantityValue.of(2.001, unit),
                       error=QuantityValue.of(0.001, unit), decision="pass", rule="simple",
                       details=details)


def _heads(test: str, points: list[PointResult]) -> list[str]:
    """The column heads of a test's result table (name, then its unit on a second line
    when the title does not give the one unit of every column)."""
    return [str(column.header) for column in table_of(test, points).columns]


def test_without_a_label_a_mass_column_is_headed_nominal() -> None:
    points = [_point(), _point("s/02")]
    assert nominal_label(points) == "nominal"
    heads = _heads("check", points)
    assert "nominal\nkg" in heads and not any("load" in h for h in heads)
    assert column_heading(points, "nominal") == ("标称值", "Nominal")


def test_the_analysis_label_heads_the_column_and_labels_that_differ_fall_back() -> None:
    labelled = [_point(nominal_label="set point", nominal_label_zh="设定值"),
                _point("s/02", nominal_label="set point", nominal_label_zh="设定值")]
    assert nominal_label(labelled) == "set point"
    assert "set point\nkg" in _heads("check", labelled)
    assert column_heading(labelled, "nominal") == ("设定值", "Set point")
    # a label without its Chinese is shown once, in English
    assert column_heading([_point(nominal_label="level")], "nominal") == (None, "Level")
    # points of one table that say different things: the neutral heading
    mixed = [labelled[0], _point("s/02", nominal_label="level")]
    assert nominal_label(mixed) == "nominal"
    assert column_heading(mixed, "nominal") == ("标称值", "Nominal")


def test_the_shipped_scale_run_heads_its_nominal_column_load_with_its_unit(
        shipped_run: dict[str, Any]) -> None:
    from labctl.report.tables import group_by_test

    record = Record.model_validate(shipped_run)
    tests = {test: points for test, points in group_by_test(record.points).items()
             if any(p.nominal is not None for p in points)}
    assert {"zero_setting", "weighing_error", "eccentricity", "repeatability",
            "discrimination", "tare"} <= set(tests)
    for test, points in tests.items():
        heads = _heads(test, points)
        title = str(table_of(test, points).title)
        assert "load\nkg" in heads or ("load" in heads and title.endswith(", in kg")), \
            (test, heads, title)
        assert not any(h.startswith("nominal") for h in heads), (test, heads)


def test_the_certificate_and_the_dcc_say_load_where_the_tables_do(
        store, record_doc: dict[str, Any], approved) -> None:
    url, record = store(record_doc)
    with open_registry(url) as plain:
        view = build_view(approved(plain, record.id), record.id, draft=False,
                          issued=date(2026, 12, 4), plots=False)
    html = render_html(view)
    tables = {id(b["test"]): b["test"] for sheet in view["sheets"]
              for b in sheet.get("blocks", ())}.values()
    with_nominal = [t for t in tables if any(r["source"].nominal for r in t["rows"])]
    assert len(with_nominal) >= 6
    assert {t["nominal_label"] for t in with_nominal} == {("载荷", "Load")}
    assert html.count('<span class="zh">载荷</span><br><span class="en">Load</span>') >= \
        len(with_nominal)
    # the repeatability's error column is the range of the series, on the certificate too
    assert '<span class="zh">极差</span><br><span class="en">Range</span>' in html
    root = ET.fromstring(dcc_xml(view, software_version="0.1.0"))
    names = {tuple(c.text for c in q.findall("dcc:name/dcc:content", NS))
             for q in root.findall(".//dcc:result/dcc:data/dcc:quantity", NS)}
    assert ("load", "载荷") in names and not any(n[0] == "nominal value" for n in names)
    assert ("range", "极差") in names
