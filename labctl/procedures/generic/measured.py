"""What the generic actions on a ``meter`` share: the measurement named by ``quantity``
checked against what the instrument measures, at plan time."""

from __future__ import annotations

from typing import Any

from labctl.errors import RunError


def check_quantity(instrument: Any, role: str, quantity: str | None, where: str,
                   what: str) -> None:
    """Refuse a ``quantity`` the instrument bound to ``role`` does not measure."""
    measurements = tuple(getattr(instrument, "measurements", ()) or ())
    if quantity is None or not measurements or quantity in measurements:
        return
    label = getattr(instrument, "name", role)
    raise RunError(f"{what}: instrument {label!r} (role {role!r}) does not measure "
                   f"{quantity!r}", where=where,
                   hint=f"it measures {', '.join(measurements)}")


def measure(instrument: Any, quantity: str | None, mode: str, timeout: float) -> Any:
    """One reading of ``quantity`` (stable: wait for the instrument's own stability)."""
    return instrument.measure(quantity, stable=mode == "stable", timeout=timeout)
