"""``concentration_error``'s use of a reference certificate stated at several
concentrations: relative correction, u and interpolation component at the reference's
reading, the record of what was applied, and refusal beyond the reach of the range."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.analysis.concentration.common import certificate_at, relative_certificate
from labctl.errors import ConfigError
from labctl.register import load_register
from labctl.register.certificate_table import CertificateTable

ROOT = Path(__file__).resolve().parents[2]


def rpm01_pm25() -> dict:
    """RPM-01's pm25 certificate as the analysis gets it (journalled ``as_record()``)."""
    entry = load_register(ROOT / "benches" / "register.yaml").instrument("RPM-01")
    data = entry.as_record()
    return {"id": data["id"], "certificate": data["certificate"], "quantity": "pm25",
            "U": None, "k": 2.0, "correction": None,
            "table": CertificateTable.from_record(data["quantities"]["pm25"]["points"])}


def test_at_a_certified_level_relative_to_the_reading() -> None:
    at = certificate_at(rpm01_pm25(), 150.0, "ug/m^3")
    assert at.correction == pytest.approx(-3.0 / 150)
    expanded = at.U
    assert expanded == pytest.approx(3.0 / 150) and at.k == 2.0
    assert at.interpolation == 0.0
    assert at.applied["standard"] == "RPM-01"
    assert at.applied["certificate"] == "PM-2026-0915"
    assert at.applied["between"] == [{"value": 150.0, "unit": "µg/m**3"}]


def test_between_levels_with_the_interpolation_component() -> None:
    at = certificate_at(rpm01_pm25(), 100.0, "ug/m^3")
    assert at.correction == pytest.approx(-2.25 / 100)
    expanded = at.U                                          # u 0.75 -> 1.5 linearly, k 2
    assert expanded == pytest.approx(2.25 / 100)
    assert at.interpolation == pytest.approx(0.375 / 100)
    assert "interpolated between 50 and 150 µg/m³" in at.text
    # in another unit of the reading: the same relative values
    same = certificate_at(rpm01_pm25(), 0.1, "mg/m^3")
    assert same.correction == pytest.approx(at.correction)
    assert same.interpolation == pytest.approx(at.interpolation)
    # the three-number form used by the other analyses interpolates too
    assert relative_certificate(rpm01_pm25(), 100.0, "ug/m^3") == pytest.approx(
        (at.correction, at.U, at.k))


def test_a_reading_beyond_the_reach_is_refused_at_the_register() -> None:
    assert certificate_at(rpm01_pm25(), 410.0, "ug/m^3", reach=0.03).correction == \
        pytest.approx(4.0 / 410)
    with pytest.raises(ConfigError) as info:
        certificate_at(rpm01_pm25(), 420.0, "ug/m^3", reach=0.03, what="point levels/03")
    text = str(info.value)
    assert "register.yaml:" in text and "point levels/03: 420 µg/m³ is outside" in text


def test_a_one_value_certificate_is_used_as_before() -> None:
    from labctl.units import Q_

    cert = {"id": "X", "certificate": "C", "U": Q_(3, "%"), "k": 2.0,
            "correction": Q_(1, "%"), "table": None}
    at = certificate_at(cert, 100.0, "ug/m^3")
    assert (at.correction, at.U, at.k, at.interpolation) == pytest.approx((0.01, 0.03, 2, 0))
    assert at.applied is None
