"""The reference load made of standard weights: conventional mass and its uncertainty.

``standards`` maps a register id (``M1-A/2kg``) to the certificate data of one weight,
either a ``labctl.register.Weight`` or its ``as_record()`` mapping: ``nominal``,
``conventional_mass`` (nominal + correction from the certificate; the nominal value
when only the class is known) and ``u``, the standard uncertainty of the conventional
mass (certificate U/k, or the class MPE/sqrt(3) of OIML R 111-1).

Several pieces making one load: their uncertainties are taken as fully correlated
(they are usually calibrated together, against the same reference, in one set
certificate), so the standard uncertainties add linearly. An analysis option
``weight_correlation`` (a correlation coefficient r between any two pieces, 0 to 1)
replaces that when a set certificate states otherwise; r = 0 gives the root sum of
squares. The sum with r = 1 is the larger, so the default never understates u.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from labctl.analysis.weighing.plate import quantity_in
from labctl.errors import ConfigError


@dataclass(frozen=True)
class WeightValue:
    id: str
    nominal: float
    mass: float          # conventional mass
    u: float             # its standard uncertainty
    basis: str           # "certificate" or "class"


@dataclass(frozen=True)
class ReferenceLoad:
    """The weights of a load, summed: conventional mass and standard uncertainty."""

    weights: tuple[str, ...]
    nominal: float
    mass: float
    u: float
    unit: str
    basis: str           # "certificate", "class", "mixed" or "none"
    correlation: float

    @property
    def empty(self) -> bool:
        return not self.weights


def _field(data: Any, name: str) -> Any:
    if isinstance(data, Mapping):
        return data.get(name)
    return getattr(data, name, None)


def weight_value(standards: Mapping[str, Any], weight_id: str, unit: str) -> WeightValue:
    """Certificate data of one weight, in ``unit``."""
    data = standards.get(weight_id)
    if data is None:
        raise ConfigError(
            f"the journal names weight {weight_id!r}, which is not among the standards used",
            hint="analyse with the register the run used",
        )
    nominal = _field(data, "nominal")
    if nominal is None:
        raise ConfigError(f"standard {weight_id!r} has no nominal value")
    nom = quantity_in(nominal, unit, what=f"{weight_id} nominal")[0]
    cm = _field(data, "conventional_mass")
    correction = _field(data, "correction")
    if cm is not None:
        mass = quantity_in(cm, unit, what=f"{weight_id} conventional mass")[0]
    elif correction is not None:
        mass = nom + quantity_in(correction, unit, what=f"{weight_id} correction")[0]
    else:
        mass = nom
    u_data = _field(data, "u")
    if u_data is not None:
        u = quantity_in(u_data, unit, what=f"{weight_id} u")[0]
    elif _field(data, "U") is not None and _field(data, "k"):
        u = quantity_in(_field(data, "U"), unit, what=f"{weight_id} U")[0] / float(
            _field(data, "k"))
    elif _field(data, "mpe") is not None:
        u = quantity_in(_field(data, "mpe"), unit, what=f"{weight_id} MPE")[0] / math.sqrt(3)
    else:
        raise ConfigError(f"standard {weight_id!r} has neither U and k nor a class MPE",
                          hint="the register gives U and k, or the weight's class")
    basis = str(_field(data, "basis") or ("certificate" if u_data is not None
                                          and _field(data, "U") is not None else "class"))
    return WeightValue(weight_id, nom, mass, u, basis)


def reference_load(weight_ids: Iterable[str], standards: Mapping[str, Any], unit: str,
                   correlation: float = 1.0) -> ReferenceLoad:
    """Sum the weights ``weight_ids`` (a weight may not appear twice: each is one piece)."""
    ids = tuple(sorted(weight_ids))
    dup = [w for w, n in Counter(ids).items() if n > 1]
    if dup:
        raise ConfigError(f"weight {dup[0]!r} is on the receptor twice in the journal",
                          hint="each register id is one physical piece")
    if not 0.0 <= correlation <= 1.0:
        raise ConfigError(f"weight_correlation {correlation} must lie between 0 and 1")
    values = [weight_value(standards, w, unit) for w in ids]
    us = [v.u for v in values]
    # u^2 = sum u_i^2 + 2 r sum_{i<j} u_i u_j ; r = 1 gives (sum u_i)^2
    var = (1 - correlation) * sum(x * x for x in us) + correlation * sum(us) ** 2
    bases = {v.basis for v in values}
    basis = "none" if not bases else (bases.pop() if len(bases) == 1 else "mixed")
    return ReferenceLoad(
        weights=ids, nominal=sum(v.nominal for v in values), mass=sum(v.mass for v in values),
        u=math.sqrt(var), unit=unit, basis=basis, correlation=correlation,
    )


def covariance(a_ids: Iterable[str], b_ids: Iterable[str], standards: Mapping[str, Any],
               unit: str) -> float:
    """The covariance of the conventional masses of two loads made of the pieces
    ``a_ids`` and ``b_ids``: a piece in both counts with its variance. Two different
    pieces count as independent here, whatever ``weight_correlation`` says within one
    load: in a difference (Ec = E - E0) a correlation between different pieces would
    lower u, and nothing certifies it. The change-point pieces a point and the zero
    search that corrects it both used are the same physical pieces: their errors cancel
    in Ec, and the budget says so through this covariance."""
    b_set = set(b_ids)
    return sum(weight_value(standards, w, unit).u ** 2 for w in a_ids if w in b_set)


@dataclass(frozen=True)
class WeightEffects:
    """Air buoyancy and drift of the weights of a load, as standard uncertainties (plate
    unit), each stated even when zero, with why."""

    buoyancy: float
    drift: float
    buoyancy_basis: str
    drift_basis: str


def weight_effects(weight_ids: Iterable[str], standards: Mapping[str, Any], unit: str,
                   buoyancy_fraction: float, drift_factor: float) -> WeightEffects:
    """Buoyancy: the conventional mass assumes air of 1.2 kg/m3 and weights of
    8000 kg/m3; a weight meeting OIML R 111-1 (10: density) and air within 10 % of
    1.2 kg/m3 keep the effect within ``buoyancy_fraction`` (1/4) of the weight's class MPE:
    rectangular, u = fraction x MPE / sqrt(3) summed over the pieces (EURAMET cg-18 v4.0
    7.1.2, from memory). Drift since calibration: a weight known by its class only has
    its class MPE as u already (drift included); a weight known by its certificate may
    have drifted by up to ``drift_factor`` x its certificate U: rectangular (cg-18 7.1.2,
    kD = 1, from memory)."""
    ids = tuple(weight_ids)
    b = 0.0
    dr = 0.0
    no_mpe = 0
    for w in ids:
        data = standards.get(w)
        mpe = _field(data, "mpe")
        if mpe is not None:
            b += buoyancy_fraction * quantity_in(mpe, unit, what=f"{w} MPE")[0] / math.sqrt(3)
        else:
            no_mpe += 1
        value = weight_value(standards, w, unit)
        if value.basis == "certificate":
            big_u = _field(data, "U")
            if big_u is not None:
                dr += drift_factor * quantity_in(big_u, unit, what=f"{w} U")[0] / math.sqrt(3)
            else:
                dr += drift_factor * 2 * value.u / math.sqrt(3)
    b_basis = (f"{buoyancy_fraction:g} x class MPE / sqrt(3) per piece (cg-18 7.1.2)"
               + (f"; {no_mpe} piece(s) without a class MPE: 0" if no_mpe else ""))
    d_basis = ("class weights: drift within the class MPE taken as u(L)" if dr == 0 else
               f"certificate weights: {drift_factor:g} x U / sqrt(3) per piece (cg-18 7.1.2)")
    return WeightEffects(b, dr, b_basis, d_basis)


def weights_error(weight_ids: Iterable[str], standards: Mapping[str, Any],
                  unit: str) -> float:
    """The largest error the pieces ``weight_ids`` together may have, as OIML R 76-1 3.7.1
    compares it with 1/3 of the instrument's MPE: per piece its class MPE when known by
    class, or |correction| + U (k = 2) when known by certificate; summed."""
    total = 0.0
    for w in weight_ids:
        data = standards.get(w)
        value = weight_value(standards, w, unit)
        if value.basis == "certificate":
            big_u = _field(data, "U")
            u_exp = quantity_in(big_u, unit, what=f"{w} U")[0] if big_u is not None \
                else 2 * value.u
            total += abs(value.mass - value.nominal) + u_exp
        else:
            mpe = _field(data, "mpe")
            total += quantity_in(mpe, unit, what=f"{w} MPE")[0] if mpe is not None \
                else value.u * math.sqrt(3)
    return total
