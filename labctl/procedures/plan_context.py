"""What the plan needs from the bench: ``PlanContext`` (the instruments by role, the
``--param`` overrides, the bench itself for what a family's actions ask of it), and the
procedure's roles bound to the bench's instruments by capability (``bind_roles``,
``implements``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labctl.drivers.capabilities import CAPABILITIES, provides
from labctl.errors import RunError
from labctl.procedures.procedure_model import Procedure


@dataclass
class PlanContext:
    """What the plan needs from the bench and the command line.

    ``roles``: role name -> the instrument bound to it (absent: the bench lacks it);
    ``parameters``: overrides of the procedure's parameters (``--param``, text or typed);
    ``bench``: the bench, which a family's actions may ask for what they need at plan
    time (the weighing family: ``choose_weights(mass, exclude=...)``).
    """

    roles: Mapping[str, Any]
    parameters: Mapping[str, Any] | None = None
    bench: Any = None


def implements(instrument: Any, capability: str) -> bool:
    """Whether ``instrument`` offers ``capability``: its class's declared ``capabilities``
    (names like ``"scale"`` or protocol classes) when it has them, so no attribute of the
    instrument is read (no I/O); else a structural check against the protocol."""
    declared = getattr(type(instrument), "capabilities", None)
    if declared is not None:
        return provides(tuple(c if isinstance(c, str) else _name_of(c) for c in declared),
                        capability)
    return isinstance(instrument, CAPABILITIES.get(capability))


def _name_of(protocol: type) -> str:
    return next((n for n, cls in CAPABILITIES.items() if cls is protocol), repr(protocol))


def bind_roles(procedure: Procedure, roles: Mapping[str, Any]) -> dict[str, Any]:
    """The procedure's roles bound on the bench; ``RunError`` for a missing required role
    or an instrument without the capability (at the role's declaration)."""
    bound: dict[str, Any] = {}
    for name, spec in procedure.roles.items():
        at = procedure.where("roles", name)
        instrument = roles.get(name)
        if instrument is None:
            if spec.optional:
                continue
            raise RunError(f"the bench has no instrument for role {name!r} "
                           f"(capability {spec.capability})", where=at,
                           hint=f"give an instrument `role: {name}` in the bench file")
        if not implements(instrument, spec.capability):
            label = getattr(instrument, "name", type(instrument).__name__)
            raise RunError(f"role {name!r} needs capability {spec.capability!r}, which "
                           f"instrument {label!r} does not offer", where=at,
                           hint="bind the role to another instrument in the bench file")
        bound[name] = instrument
    return bound
