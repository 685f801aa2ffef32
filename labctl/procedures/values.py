"""Values in a procedure file: data, never Python.

A value is a quantity (``"10 s"``), a number or a boolean, a word (``front``), or an
expression for ``labctl.uncertainty.expression`` (``Max / 2``, ``500 * e``) over the
procedure's parameters, variables and point variables. ``compile_value`` reads one,
once, when the procedure is loaded; the plan evaluates it with pint quantities.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from labctl.errors import ConfigError, LabctlError, UnitError

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NUMBER_FIRST = re.compile(r"^\s*[-+]?(\d|\.\d)")


@dataclass(frozen=True)
class Value:
    """A procedure value: ``literal`` (number, bool, quantity), ``word`` or ``expression``."""

    source: Any
    kind: Literal["literal", "word", "expression"]
    value: Any = None          # the literal or the word
    expression: Any = None     # an ``Expression`` for kind "expression"
    where: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.expression.names) if self.kind == "expression" else ()

    def evaluate(self, namespace: Mapping[str, Any]) -> Any:
        """The value; an expression is evaluated with pint quantities."""
        if self.kind != "expression":
            return self.value
        return self.expression.evaluate(namespace, backend="pint")

    def __str__(self) -> str:
        return str(self.source)


def compile_value(source: Any, known: Collection[str] | None = None, *, where: str = "",
                  words: bool = False, what: str = "value") -> Value:
    """Compile one value of a procedure file.

    ``known`` is the set of names an expression may use (None: not checked). A bare
    name that is not known is a word when ``words`` is true (``position: front``),
    otherwise an unknown-name error.
    """
    if isinstance(source, bool | int | float):
        return Value(source, "literal", source, where=where)
    if not isinstance(source, str) or not source.strip():
        raise ConfigError(f"{what}: expected a number, a quantity or an expression, "
                          f"got {source!r}", where=where)
    text = source.strip()
    from labctl.uncertainty.expression import compile_expression

    try:
        expression = compile_expression(text)
    except LabctlError as exc:
        if NUMBER_FIRST.match(text):
            from labctl.units import parse_quantity

            try:
                return Value(source, "literal", parse_quantity(text, where=where), where=where)
            except UnitError as unit_exc:
                raise ConfigError(f"{what} {text!r}: {unit_exc.message}", where=where,
                                  hint=unit_exc.hint) from None
        raise ConfigError(f"{what} {text!r}: {exc.message}", where=where,
                          hint=exc.hint) from None
    if known is not None:
        unknown = [n for n in expression.names if n not in known]
        if unknown:
            if words and IDENT.match(text) and text == unknown[0]:
                return Value(source, "word", text, where=where)
            listed = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"{what} {text!r} uses the unknown name {unknown[0]!r}",
                              where=where, hint=f"known names here: {listed}")
    return Value(source, "expression", expression=expression, where=where)
