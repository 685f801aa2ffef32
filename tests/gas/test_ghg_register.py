"""A natural-air standard certified for several components: the ``cylinders`` kind's
``other_components``."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.errors import ConfigError
from labctl.register import load_register
from labctl.register.gas import Cylinder

ENTRY = """\
lab: Test lab
cylinders:
  - id: CYL-GHG-01
    crm: GBW(E)062301
    component: CO2
    balance: air
    value: 405.18 umol/mol
    U: 0.06 umol/mol
    k: 2
    other_components:
{others}
    certificate: GHG-1
    issued_by: Example Gases Co.
    calibrated: 2026-01-05
    due: 2027-01-04
    entered_by: A. One
    checked_by: B. Two
"""


def load(tmp_path: Path, others: str) -> Cylinder:
    path = tmp_path / "register.yaml"
    path.write_text(ENTRY.format(others=others), encoding="utf-8")
    cylinder = load_register(path).standard("CYL-GHG-01")
    assert isinstance(cylinder, Cylinder)
    return cylinder


def test_other_components_are_certified_contents(tmp_path: Path) -> None:
    c = load(tmp_path, "      - {component: CH4, value: 1952.6 nmol/mol, U: 0.05 %, k: 3}")
    contents = c.contents()
    assert contents["CO2"] == pytest.approx((405.18e-6, 0.06e-6, 2.0))
    assert contents["CH4"] == pytest.approx((1952.6e-9, 1952.6e-9 * 5e-4, 3.0))
    record = c.as_record()
    ch4 = record["other_components"][0]
    assert ch4["component"] == "CH4" and ch4["k"] == 3.0
    assert ch4["value"] == {"value": pytest.approx(1.9526), "unit": "umol/mol"}
    assert "; CH4 1952.6 nmol/mol, U = 0.976 nmol/mol (k = 3)" in c.describe()


@pytest.mark.parametrize(("others", "why"), [
    ("      - {component: CO2, value: 400 umol/mol, U: 0.1 umol/mol}", "names a component twice"),
    ("      - {component: CH4, value: 1900 nmol/mol, U: 2000 nmol/mol}", "U smaller"),
    ("      - {component: CH4, value: 1900 nmol/mol}", "U"),
    ("      - {component: CH4, value: 20 degC, U: 1 nmol/mol}", "not an amount fraction"),
])
def test_a_bad_other_component_is_refused_at_its_place(tmp_path: Path, others: str,
                                                       why: str) -> None:
    with pytest.raises(ConfigError, match=why) as info:
        load(tmp_path, others)
    assert "register.yaml:" in str(info.value)
