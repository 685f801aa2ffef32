"""A safe evaluator for measurement-model expressions.

Nothing here evaluates user text as Python. The text is parsed with :mod:`ast` and
only this grammar is accepted:

* numbers, input names, the constant ``pi``;
* ``+ - * / **``, unary ``-`` and ``+``, parentheses;
* calls to ``sqrt exp log log10 sin cos tan atan2 abs`` (positional arguments only).

Everything else (attribute access, subscripts, lambdas, comprehensions, comparisons,
keywords, calls to anything not listed, names such as ``__import__``...) is refused
with an :class:`ExpressionError` naming the construct and its column.

One parse serves several backends, chosen per evaluation by the math functions they
use: ``"float"`` (:mod:`math`), ``"ufloat"`` (:mod:`uncertainties` numbers, for the GUM
law of propagation), ``"numpy"`` (arrays of Monte Carlo draws, fully vectorised) and
``"pint"`` (quantities: unit derivation, and expressions such as ``Max / 2`` or
``500 * e`` in procedures). The syntax tree is compiled once per backend into a tree
of Python closures, so an evaluation costs one function call per node.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any

from labctl.errors import ConfigError, UnitError

FUNCTIONS: dict[str, int] = {
    "sqrt": 1, "exp": 1, "log": 1, "log10": 1, "sin": 1, "cos": 1, "tan": 1,
    "atan2": 2, "abs": 1,
}
"""The functions a model may call, with their number of arguments."""

CONSTANTS: dict[str, float] = {"pi": math.pi}
"""Names with a fixed value; they cannot be used as input names."""

BACKENDS: tuple[str, ...] = ("float", "ufloat", "numpy", "pint")

MAX_LENGTH = 10_000

_ALLOWED = ("+ - * / **, unary minus, parentheses, numbers, input names, pi and the "
            "functions " + ", ".join(FUNCTIONS))

_BINOPS: dict[type, tuple[Callable[[Any, Any], Any], str]] = {
    ast.Add: (operator.add, "+"),
    ast.Sub: (operator.sub, "-"),
    ast.Mult: (operator.mul, "*"),
    ast.Div: (operator.truediv, "/"),
}

_REFUSED_BINOPS = {
    ast.FloorDiv: "floor division '//'",
    ast.Mod: "the modulo operator '%'",
    ast.MatMult: "matrix multiplication '@'",
    ast.BitXor: "the operator '^' (write powers as '**')",
    ast.BitAnd: "the operator '&'",
    ast.BitOr: "the operator '|'",
    ast.LShift: "the operator '<<'",
    ast.RShift: "the operator '>>'",
}

_REFUSED_NODES: dict[type, str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda expressions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators",
    ast.IfExp: "conditional expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dictionaries",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.NamedExpr: "assignment expressions ':='",
    ast.Starred: "starred arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


class ExpressionError(ConfigError):
    """A model expression that is refused, or that cannot be evaluated."""


# --------------------------------------------------------------------------- backends


def _abs(x: Any) -> Any:
    # abs() and comparisons of uncertainties numbers are deprecated upstream; this keeps
    # the derivative (+1 or -1, +1 at 0) and works unchanged for floats.
    return -x if getattr(x, "nominal_value", x) < 0 else x


def _pint_sqrt(x: Any) -> Any:
    return x ** 0.5


@cache
def backend_functions(backend: str) -> dict[str, Callable[..., Any]]:
    """The math functions of one backend (imported on first use)."""
    if backend == "float":
        return {"sqrt": math.sqrt, "exp": math.exp, "log": math.log, "log10": math.log10,
                "sin": math.sin, "cos": math.cos, "tan": math.tan, "atan2": math.atan2,
                "abs": abs}
    if backend == "ufloat":
        from uncertainties import umath

        return {"sqrt": umath.sqrt, "exp": umath.exp, "log": umath.log,
                "log10": umath.log10, "sin": umath.sin, "cos": umath.cos, "tan": umath.tan,
                "atan2": umath.atan2, "abs": _abs}
    if backend == "numpy":
        import numpy as np

        return {"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "log10": np.log10,
                "sin": np.sin, "cos": np.cos, "tan": np.tan, "atan2": np.arctan2,
                "abs": np.abs}
    if backend == "pint":
        import numpy as np

        # numpy's ufuncs dispatch to pint for quantities (checking that exp/log/sin get
        # dimensionless or angle arguments) and work on plain numbers too.
        return {"sqrt": _pint_sqrt, "exp": np.exp, "log": np.log, "log10": np.log10,
                "sin": np.sin, "cos": np.cos, "tan": np.tan, "atan2": np.arctan2,
                "abs": abs}
    raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


# --------------------------------------------------------------------------- checking


def _refuse(text: str, node: ast.AST, what: str, hint: str | None = None,
            show: bool = True) -> ExpressionError:
    segment = (ast.get_source_segment(text, node) or "") if show else ""
    col = getattr(node, "col_offset", None)
    at = f" at column {col + 1}" if col is not None else ""
    shown = f" {segment!r}" if segment else ""
    return ExpressionError(
        f"{what}{shown}{at} is not allowed in a model expression",
        hint=hint or f"allowed: {_ALLOWED}",
    )


def _check(text: str, node: ast.AST, names: list[str], exponent_names: set[str],
           in_exponent: bool = False) -> None:
    """Walk the tree, refusing anything outside the grammar; collect the input names."""
    if isinstance(node, ast.Expression):
        _check(text, node.body, names, exponent_names)
    elif isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            _check(text, node.left, names, exponent_names, in_exponent)
            _check(text, node.right, names, exponent_names, True)
        elif type(node.op) in _BINOPS:
            _check(text, node.left, names, exponent_names, in_exponent)
            _check(text, node.right, names, exponent_names, in_exponent)
        else:
            raise _refuse(text, node, _REFUSED_BINOPS.get(type(node.op), "this operator"))
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise _refuse(text, node, "the operator 'not'" if isinstance(node.op, ast.Not)
                          else "the operator '~'")
        _check(text, node.operand, names, exponent_names, in_exponent)
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "complex numbers" if isinstance(value, complex) else (
                "text" if isinstance(value, str | bytes) else f"the constant {value!r}")
            raise _refuse(text, node, kind)
    elif isinstance(node, ast.Name):
        name = node.id
        if name.startswith("__"):
            raise _refuse(text, node, f"the name {name!r}", show=False)
        if name in FUNCTIONS:
            raise _refuse(text, node, f"the function {name!r} without a call", show=False,
                          hint=f"call it, e.g. {name}(x)")
        if name not in CONSTANTS:
            if name not in names:
                names.append(name)
            if in_exponent:
                exponent_names.add(name)
    elif isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name):
            what = "attribute access" if isinstance(func, ast.Attribute) else "this call"
            raise _refuse(text, func if isinstance(func, ast.Attribute) else node, what)
        if func.id not in FUNCTIONS:
            raise _refuse(text, node, f"a call to {func.id!r}", show=False,
                          hint="the functions are " + ", ".join(FUNCTIONS))
        if node.keywords:
            raise _refuse(text, node, "keyword arguments")
        arity = FUNCTIONS[func.id]
        if len(node.args) != arity:
            raise ExpressionError(
                f"{func.id}() takes {arity} argument{'s' if arity > 1 else ''}, "
                f"{len(node.args)} given at column {node.col_offset + 1}")
        for arg in node.args:
            _check(text, arg, names, exponent_names, in_exponent)
    else:
        raise _refuse(text, node, _REFUSED_NODES.get(type(node), type(node).__name__))


# --------------------------------------------------------------------------- compiling


Node = Callable[[Mapping[str, Any]], Any]


def _units_of(x: Any) -> str:
    units = getattr(x, "units", None)
    if units is None:
        return "a plain number"
    return format(units, "~P") or "dimensionless"


def _failure(text: str, node: ast.AST, what: str) -> Callable[..., ConfigError]:
    """The error maker of one node: says which term failed, and why."""
    segment = ast.get_source_segment(text, node) or text

    def fail(exc: Exception, *operands: Any) -> ConfigError:
        if _is_dimension_error(exc):
            if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub):
                verb = "add" if isinstance(node.op, ast.Add) else "subtract"
                a, b = operands
                why = f"cannot {verb} {_units_of(a)} and {_units_of(b)}"
            elif isinstance(node, ast.Call):
                why = (f"{what} needs " + ("arguments of one dimension"
                                           if len(operands) > 1 else
                                           "a dimensionless argument (or an angle)")
                       + ", got " + " and ".join(_units_of(o) for o in operands))
            else:
                why = str(exc)
            return UnitError(f"units do not fit in {segment!r}: {why}",
                             hint="check the units of the inputs in this term")
        if isinstance(exc, ZeroDivisionError):
            return ExpressionError(f"division by zero in {segment!r}")
        if isinstance(exc, OverflowError):
            return ExpressionError(f"{what} overflows in {segment!r}")
        if isinstance(exc, ValueError):
            return ExpressionError(f"{segment!r} is outside the domain of {what} "
                                   f"at these values ({exc})")
        return ExpressionError(f"cannot evaluate {segment!r}: {exc}")

    return fail


def _is_dimension_error(exc: Exception) -> bool:
    return type(exc).__module__.startswith("pint") and "Dimensionality" in type(exc).__name__


def _compile(text: str, node: ast.AST, funcs: Mapping[str, Callable[..., Any]]) -> Node:
    if isinstance(node, ast.Expression):
        return _compile(text, node.body, funcs)
    if isinstance(node, ast.Constant):
        value = node.value
        return lambda ns: value
    if isinstance(node, ast.Name):
        name = node.id
        if name in CONSTANTS:
            const = CONSTANTS[name]
            return lambda ns: const
        return lambda ns: ns[name]
    if isinstance(node, ast.UnaryOp):
        operand = _compile(text, node.operand, funcs)
        if isinstance(node.op, ast.USub):
            return lambda ns: -operand(ns)
        return lambda ns: +operand(ns)
    if isinstance(node, ast.BinOp):
        left = _compile(text, node.left, funcs)
        right = _compile(text, node.right, funcs)
        if isinstance(node.op, ast.Pow):
            op, what = _power, "the power"
        else:
            op, symbol = _BINOPS[type(node.op)]
            what = f"'{symbol}'"
        return _apply2(op, left, right, _failure(text, node, what))
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        fn = funcs[name]
        fail = _failure(text, node, f"{name}()")
        args = [_compile(text, a, funcs) for a in node.args]
        if len(args) == 1:
            return _apply1(fn, args[0], fail)
        return _apply2(fn, args[0], args[1], fail)
    raise ExpressionError(f"internal: node {type(node).__name__} was not checked")


def _apply1(fn: Callable[[Any], Any], arg: Node, fail: Callable[..., ConfigError]) -> Node:
    """The node ``fn(arg)``; a failure of ``fn`` raises ``fail``'s error."""

    def node(ns: Mapping[str, Any]) -> Any:
        a = arg(ns)
        try:
            return fn(a)
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise fail(exc, a) from exc

    return node


def _apply2(fn: Callable[[Any, Any], Any], left: Node, right: Node,
            fail: Callable[..., ConfigError]) -> Node:
    """The node ``fn(left, right)`` (an operator or a function of two arguments)."""

    def node(ns: Mapping[str, Any]) -> Any:
        a = left(ns)
        b = right(ns)
        try:
            return fn(a, b)
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise fail(exc, a, b) from exc

    return node


def _power(base: Any, exponent: Any) -> Any:
    if type(base) is int and type(exponent) is int:
        # int ** int is exact and unbounded in Python (9**9**9 would never finish);
        # a float overflows at once instead.
        base = float(base)
    return base ** exponent


class Expression:
    """A parsed, checked model expression. Build with :func:`compile_expression`."""

    __slots__ = ("text", "names", "exponent_names", "_tree", "_compiled")

    def __init__(self, text: str, tree: ast.Expression, names: tuple[str, ...],
                 exponent_names: frozenset[str]):
        self.text = text
        self.names = names
        """The input names the expression uses, in order of first use."""
        self.exponent_names = exponent_names
        """Names that appear inside an exponent (their value can change a unit)."""
        self._tree = tree
        self._compiled: dict[str, Node] = {}

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def function(self, backend: str = "float") -> Node:
        """The compiled evaluator for ``backend``: ``fn(namespace) -> value``.

        Errors inside it are ``ExpressionError``/``UnitError``, except a missing name,
        which is a ``KeyError`` (use :meth:`evaluate` for a checked call).
        """
        fn = self._compiled.get(backend)
        if fn is None:
            fn = _compile(self.text, self._tree, backend_functions(backend))
            self._compiled[backend] = fn
        return fn

    def evaluate(self, namespace: Mapping[str, Any], backend: str = "float") -> Any:
        """Evaluate with the values in ``namespace`` (floats, ufloats, arrays, quantities)."""
        fn = self.function(backend)
        try:
            return fn(namespace)
        except KeyError as exc:
            missing = [n for n in self.names if n not in namespace]
            if not missing:
                raise
            known = ", ".join(sorted(namespace)) or "none"
            raise ExpressionError(
                f"name {missing[0]!r} in {self.text!r} is not defined",
                hint=f"defined names: {known}") from exc


def compile_expression(text: str) -> Expression:
    """Parse and check ``text`` once (cached); raises :class:`ExpressionError`."""
    if not isinstance(text, str):
        raise ExpressionError(f"a model expression must be text, not {type(text).__name__}")
    return _compile_cached(" ".join(text.split()))


@lru_cache(maxsize=2048)
def _compile_cached(text: str) -> Expression:
    if not text:
        raise ExpressionError("the model expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the model expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"syntax error{col} in {text!r}: {exc.msg}",
                              hint=f"allowed: {_ALLOWED}") from exc
    except (RecursionError, MemoryError) as exc:
        raise ExpressionError("the model expression is nested too deeply") from exc
    names: list[str] = []
    exponent_names: set[str] = set()
    try:
        _check(text, tree, names, exponent_names)
    except RecursionError as exc:
        raise ExpressionError("the model expression is nested too deeply") from exc
    return Expression(text, tree, tuple(names), frozenset(exponent_names))
