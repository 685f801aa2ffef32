"""The gas family's register kind ``cylinders``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from labctl.errors import ConfigError
from labctl.register import load_register
from labctl.register.gas import Cylinder, cylinders_of

ENTRY = """\
lab: Test lab
cylinders:
  - id: CYL-CO-01
    crm: {crm}
    component: CO
    balance: N2
    value: {value}
    U: {U}
    k: 2
    certificate: GC-1
    issued_by: Example Gases Co.
    calibrated: 2026-01-05
    due: 2027-01-04
    entered_by: A. One
    checked_by: B. Two
"""


def register(tmp_path: Path, crm: str = "GBW 08123", value: str = "500 umol/mol",
             U: str = "2 %") -> Cylinder:
    path = tmp_path / "register.yaml"
    path.write_text(ENTRY.format(crm=crm, value=value, U=U), encoding="utf-8")
    cylinder = load_register(path).standard("CYL-CO-01")
    assert isinstance(cylinder, Cylinder)
    return cylinder


def test_a_cylinder_with_relative_and_absolute_u(tmp_path: Path) -> None:
    c = register(tmp_path)
    assert (c.component, c.balance, c.crm) == ("CO", "N2", "GBW 08123")
    assert c.c0 == pytest.approx(500e-6) and pytest.approx(10e-6) == c.U
    assert c.u_relative == pytest.approx(0.01)
    assert cylinders_of(c.parts()) == (c,)
    assert not c.expired(date(2026, 12, 31)) and c.expired(date(2027, 1, 5))
    record = c.as_record()
    assert record["value"] == {"value": pytest.approx(500.0), "unit": "umol/mol"}
    assert record["crm"] == "GBW 08123" and record["certificate"] == "GC-1"
    c2 = register(tmp_path, crm="GBW(E)061234", value="2.5 %vol", U="0.05 %vol")
    assert c2.c0 == pytest.approx(0.025) and pytest.approx(5e-4) == c2.U
    assert "GBW(E)061234, CO in N2, 25000 umol/mol" in c2.describe()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"crm": "ABC-1"}, r"crm 'ABC-1' is not a CRM number"),
    ({"value": "5 mg/m^3"}, r"is not an amount fraction"),
    ({"U": "600 umol/mol"}, r"U 600\S* \S+ is not smaller than the value"),
])
def test_bad_cylinder_entries_are_refused_at_their_place(tmp_path: Path, kwargs: dict,
                                                         message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        register(tmp_path, **kwargs)
    assert "register.yaml:" in (info.value.where or "")


def test_a_cylinder_needs_its_certificate(tmp_path: Path) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(ENTRY.format(crm="GBW 08123", value="500 umol/mol", U="2 %").split(
        "    certificate:")[0], encoding="utf-8")
    with pytest.raises(ConfigError, match="needs its certificate"):
        load_register(path)
