"""``BudgetError``: what is wrong with a budget, and the path of the entry at fault."""

from __future__ import annotations

from typing import Any

from labctl.errors import ConfigError, UnitError


class BudgetError(ConfigError):
    """A budget that cannot be evaluated; ``key`` is the path of the offending entry
    (as in a budget file: ``("inputs", "d", "unit")``, ``("correlations", 2)``...)."""

    def __init__(self, message: str, *, key: tuple[Any, ...] = (), hint: str | None = None,
                 where: str | None = None, unit_error: bool = False):
        self.key = key
        self.unit_error = unit_error
        super().__init__(message, where=where, hint=hint)


def relocate(err: ConfigError, key: tuple[Any, ...]) -> BudgetError:
    """``err`` as a ``BudgetError`` at ``key`` (unchanged if it is one already)."""
    if isinstance(err, BudgetError):
        return err
    return BudgetError(err.message, key=key, hint=err.hint,
                       unit_error=isinstance(err, UnitError))
