"""``FitError``: what is wrong with a calibration fit, and the path of the entry at fault."""

from __future__ import annotations

from typing import Any

from labctl.errors import ConfigError


class FitError(ConfigError):
    """Bad fit input or a fit that fails; ``key`` is the path of the offending entry as in
    a fit file (``("points", 3, "u_x")``, ``("function",)``...), so that the file loader
    can name its line."""

    def __init__(self, message: str, *, key: tuple[Any, ...] = (), hint: str | None = None,
                 where: str | None = None, unit_error: bool = False):
        self.key = key
        self.unit_error = unit_error
        super().__init__(message, where=where, hint=hint)
