"""A procedure's parameters: ``--param`` overrides parsed, and every declared parameter's
value (its default or the override, read as the type of the default)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from labctl.errors import ConfigError, UnitError
from labctl.procedures.procedure_model import Procedure
from labctl.procedures.values import NUMBER_FIRST


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``["category=in_service", ...]`` (from ``--param``) as a mapping."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {item!r}: write name=value",
                              hint="e.g. --param category=in_service")
        out[name.strip()] = value.strip()
    return out


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def resolve_parameters(procedure: Procedure,
                       overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every declared parameter's value: its default, or the override given for it.

    Text from ``--param`` is read as the type of the default (bool, number, quantity
    like ``30 s``, or word); an undeclared name or a value outside ``choices`` is a
    ``ConfigError`` naming the declaration.
    """
    overrides = dict(overrides or {})
    for name in overrides:
        if name not in procedure.parameters:
            declared = ", ".join(procedure.parameters) or "none"
            raise ConfigError(f"--param {name}: the procedure declares no parameter {name!r}",
                              where=procedure.where("parameters"),
                              hint=f"its parameters: {declared}")
    values: dict[str, Any] = {}
    for name, spec in procedure.parameters.items():
        at = procedure.where("parameters", name)
        default = _coerce(spec.default, spec.default, name, at)
        value = _coerce(overrides[name], spec.default, name, at) if name in overrides \
            else default
        if spec.choices is not None:
            choices = [_coerce(c, spec.default, name, at) for c in spec.choices]
            if value not in choices:
                raise ConfigError(
                    f"--param {name}={overrides.get(name, value)}: not among the choices",
                    where=at, hint=f"choose one of {', '.join(str(c) for c in spec.choices)}")
        values[name] = value
    return values


def _coerce(value: Any, default: Any, name: str, at: str) -> Any:
    from labctl.units import parse_quantity

    def refuse(kind: str) -> ConfigError:
        return ConfigError(f"--param {name}={value}: expected {kind} like the default "
                           f"{default!r}", where=at)

    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise refuse("true or false")
    if isinstance(default, int | float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        try:
            number = float(str(value))
        except ValueError:
            raise refuse("a number") from None
        return int(number) if isinstance(default, int) and number.is_integer() else number
    if isinstance(default, str) and NUMBER_FIRST.match(default):
        try:
            unit = parse_quantity(default)
            return parse_quantity(value, where=at, expect=unit)
        except UnitError as exc:
            raise ConfigError(f"--param {name}={value}: {exc.message}", where=at,
                              hint=f"like the default {default!r}") from None
    return value if isinstance(value, str) else str(value)
