"""The equipment register: loading, weights' certificate data, lookups and bad input."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from labctl.errors import ConfigError
from labctl.register import MeasuringInstrument, load_register
from labctl.register.weighing import WeightSet
from labctl.units import Q_

from .helpers import REGISTER, assert_one_line_naming_the_place, line_of

GOOD = """\
lab: Test lab
weight_sets:
  - id: F1-X
    class: F1
    certificate: C-1
    issued_by: NIM
    calibrated: 2025-01-10
    due: 2027-01-09
    entered_by: A
    checked_by: B
    items:
      - {id: 1kg, nominal: 1 kg, correction: +2.0 mg, U: 1.6 mg, k: 2}
      - {id: 1kg*, nominal: 1000 g, conventional_mass: 999.9985 g, U: 1.6 mg, k: 2.1}
      - {id: 10g, nominal: 10 g}
instruments:
  - {id: TH-9, kind: thermohygrometer, serial: S-9, certificate: T-9, issued_by: NIM,
     calibrated: 2025-02-01, due: 2026-02-01, entered_by: A, checked_by: B,
     quantities: {temperature: {U: 0.3 degC, k: 2}, humidity: {U: 2.5 %, k: 2}}}
  - {id: LD-1, kind: weight loader, serial: L-1}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "register.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_register_loads() -> None:
    reg = load_register(REGISTER)
    ws = reg.standard("M1-A")
    assert isinstance(ws, WeightSet) and ws.weight_class == "M1"
    assert len(ws.weights) >= 20
    assert reg.part("M1-A/2kg") != reg.part("M1-A/2kg*")
    for w in ws.weights:  # everything due in the future of the shipped examples
        assert w.due >= date(2027, 1, 1)
    th = reg.instrument("TH-01")
    assert th.certificate is not None and th.due >= date(2027, 1, 1)


def test_certificate_values(tmp_path: Path) -> None:
    reg = load_register(write(tmp_path, GOOD))
    w = reg.part("F1-X/1kg")
    assert w.basis == "certificate"
    assert w.conventional_mass.m_as("g") == pytest.approx(1000.002)
    assert w.u.m_as("mg") == pytest.approx(0.8)
    assert w.U.m_as("mg") == 1.6 and w.k == 2
    assert w.mpe.m_as("mg") == pytest.approx(5.0)  # F1, 1 kg in OIML R 111-1 Table 1
    assert (w.certificate, w.issued_by, w.due, w.set_id) == ("C-1", "NIM", date(2027, 1, 9),
                                                              "F1-X")
    other = reg.part("F1-X/1kg*")
    assert other.conventional_mass.m_as("g") == pytest.approx(999.9985)
    assert other.u.m_as("mg") == pytest.approx(1.6 / 2.1)


def test_class_only_weight_takes_mpe_over_root_three(tmp_path: Path) -> None:
    reg = load_register(write(tmp_path, GOOD))
    w = reg.part("F1-X/10g")
    assert w.basis == "class" and w.U is None and w.k is None
    assert w.conventional_mass == Q_(10, "g")
    assert w.mpe.m_as("mg") == pytest.approx(0.20)
    assert w.u.m_as("mg") == pytest.approx(0.20 / math.sqrt(3))
    record = w.as_record()
    assert record["basis"] == "class" and record["mpe"] == {"value": 0.2, "unit": "mg"}


def test_lookups_and_expiry(tmp_path: Path) -> None:
    reg = load_register(write(tmp_path, GOOD))
    th = reg.standard("TH-9")
    assert isinstance(th, MeasuringInstrument)
    assert reg.by_serial("S-9") is th and reg.by_serial("nope") is None
    assert th.quantities["temperature"].u.m_as("delta_degC") == pytest.approx(0.15)
    assert th.expired(date(2026, 2, 2)) and not th.expired(date(2026, 2, 1))
    assert not reg.standard("LD-1").expired(date(2100, 1, 1))  # no certificate: no due date
    assert [w.id for w in reg.parts("F1-X")] == ["F1-X/1kg", "F1-X/1kg*", "F1-X/10g"]
    assert reg.owner("F1-X/10g").id == "F1-X"
    path = tmp_path / "register.yaml"
    line = line_of(path, "due: 2026-02-01")
    column = path.read_text().splitlines()[line - 1].index("due:") + 1
    assert th.due_where == f"{path}:{line}:{column}"
    with pytest.raises(ConfigError, match=r"no entry 'F1-X/5g' in the register .*known ids"):
        reg.part("F1-X/5g")


BAD = [
    # (replace this, with this, message pattern, line marker)
    ("nominal: 1 kg, correction", "nominal: 1 m, correction", r"nominal: .*does not fit.*mass",
     "{id: 1kg, nominal"),
    ("due: 2027-01-09", "due: 2027-13-09", r"'2027-13-09' is not a valid date",
     "due: 2027-13-09"),
    ("due: 2027-01-09", "due: 9 January 2027", r"due: expected an ISO date", "due: 9 January"),
    ("correction: +2.0 mg, U: 1.6 mg, k: 2}", "correction: +2.0 mg}",
     r"needs correction .*U and k together", "{id: 1kg, nominal"),
    ("checked_by: B\n    items", "checked_by: a\n    items", r"another person", "- id: F1-X"),
    ("correction: +2.0 mg,", "correction: +6.0 mg,", r"more than the class F1 MPE 5.0 mg",
     "{id: 1kg, nominal"),
    ("{id: 10g, nominal: 10 g}", "{id: 3g, nominal: 3 g}", r"gives no MPE for a 3 g weight",
     "{id: 3g"),
    ("class: F1", "class: Q9", r"class: Input should be", "class: Q9"),
    ("{id: 10g, nominal: 10 g}", "{id: 1kg, nominal: 10 g}", r"'1kg' appears twice",
     "- id: F1-X"),
    ("id: LD-1", "id: TH-9", r"register id 'TH-9' is used twice", "{id: TH-9, kind: weight"),
    ("calibrated: 2025-01-10", "calibrated: 2027-01-10", r"not after the calibration date",
     "- id: F1-X"),
    ("items:\n", "itemz: []\n    items:\n", r"itemz: Extra inputs are not permitted", "itemz"),
    ("{id: 10g, nominal: 10 g}", "{id: 10g, nominal: 10 g", r"malformed YAML", None),
]


@pytest.mark.parametrize(("old", "new", "pattern", "marker"), BAD,
                         ids=[b[2][:30] for b in BAD])
def test_bad_register_is_one_line_naming_the_place(tmp_path: Path, old: str, new: str,
                                                   pattern: str, marker: str | None) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_register(path)
    assert_one_line_naming_the_place(info.value, path, pattern, marker)


def test_missing_register_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_register(tmp_path / "nope.yaml")
