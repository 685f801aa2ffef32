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
