"""OIML R 111-1:2004 Table 1 lookups (numbers from labctl/data/oiml-r111-1-2004.yaml)."""

from __future__ import annotations

import math

import pytest

from labctl.errors import ConfigError
from labctl.metrology.weighing.weight_classes import class_uncertainty, weight_mpe
from labctl.units import Q_


@pytest.mark.parametrize(("cls", "nominal", "mpe_mg"), [
    ("M1", "10 kg", 500), ("M1", "500 mg", 0.8), ("M1", "20 g", 2.5), ("F1", "2 kg", 10),
    ("E2", "1 g", 0.03), ("F2", "100 g", 1.6), ("E1", "50 kg", 25), ("M3", "1 g", 10),
    ("M2-3", "5000 kg", 1_600_000), ("M1", "1 mg", 0.2),
])
def test_table_values(cls: str, nominal: str, mpe_mg: float) -> None:
    assert weight_mpe(cls, Q_(nominal)).m_as("mg") == pytest.approx(mpe_mg)


def test_same_nominal_in_other_units() -> None:
    assert weight_mpe("M1", Q_(0.5, "g")) == weight_mpe("M1", Q_(500, "mg"))
    assert weight_mpe("F1", Q_(2000, "g")).m_as("mg") == pytest.approx(10)


def test_class_uncertainty_is_mpe_over_root_three() -> None:
    assert class_uncertainty("M1", Q_(1, "kg")).m_as("mg") == pytest.approx(50 / math.sqrt(3))


@pytest.mark.parametrize(("cls", "nominal", "pattern"), [
    ("M3", "500 mg", "no MPE for a 500 mg weight of class M3"),
    ("E1", "100 kg", "no MPE for a 100 kg weight of class E1"),
    ("M1", "3 g", "no MPE for a 3 g weight"),
    ("X1", "1 g", "unknown weight class 'X1'"),
])
def test_not_in_table(cls: str, nominal: str, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        weight_mpe(cls, Q_(nominal), where="f.yaml:3:4")
