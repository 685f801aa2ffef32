"""Number formatting shared by line protocols."""

from __future__ import annotations


def decimals_for(interval: float) -> int:
    """Decimals needed to show multiples of a scale interval (0.005 -> 3, 5 -> 0, 0.1 -> 1)."""
    if not interval > 0:
        raise ValueError(f"a scale interval must be positive, got {interval}")
    for k in range(0, 10):
        scaled = interval * 10**k
        if abs(scaled - round(scaled)) < 1e-9 * max(1.0, scaled):
            return k
    return 10
