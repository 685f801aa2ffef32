"""The safe model-expression evaluator: grammar, refusals, and its four backends."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gum_examples import H1_MODEL, H1_VALUES
from uncertainties import ufloat

from labctl.errors import ConfigError, UnitError
from labctl.uncertainty.expression import (
    FUNCTIONS,
    ExpressionError,
    compile_expression,
)
from labctl.units import Q_

H1 = H1_MODEL  # GUM H.1, the end gauge


def test_names_in_order_of_first_use_without_constants_and_functions() -> None:
    expr = compile_expression("sqrt(b) * pi + a - b / atan2(c, a)")
    assert expr.names == ("b", "a", "c")


def test_compiled_once_and_cached() -> None:
    assert compile_expression(H1) is compile_expression(H1)
    # whitespace and line breaks (a folded YAML string) do not make a new expression
    assert compile_expression("l_s + d - l_s*(delta_alpha*theta +\n alpha_s*delta_theta)") \
        is compile_expression(H1)


def test_float_backend_matches_python_arithmetic() -> None:
    expr = compile_expression(H1)
    assert expr.evaluate(H1_VALUES) == pytest.approx(50.000838, abs=1e-12)
    ns = {"x": 2.0, "y": 3.0}
    cases = {
        "x ** y": 8.0, "-x ** 2": -4.0, "+x - -y": 5.0, "x / y * y": 2.0,
        "sqrt(x) ** 2": 2.0, "exp(log(x))": 2.0, "log10(100 * x) - log10(x)": 2.0,
        "sin(x) ** 2 + cos(x) ** 2": 1.0, "tan(x) - sin(x) / cos(x)": 0.0,
        "atan2(y, x)": math.atan2(3.0, 2.0), "abs(x - y)": 1.0, "2 * pi": 2 * math.pi,
        "(x + y) * (x - y)": -5.0, "1e3 * x": 2000.0,
    }
    for text, expected in cases.items():
        assert compile_expression(text).evaluate(ns) == pytest.approx(expected, abs=1e-12), text


def test_backends_agree() -> None:
    text = "sqrt(a) * exp(b) / log(c) + atan2(a, c) - abs(b) ** 2 + log10(c) * sin(a) / cos(b)"
    values = {"a": 2.5, "b": -0.3, "c": 7.0}
    expr = compile_expression(text)
    plain = expr.evaluate(values)
    u = expr.evaluate({k: ufloat(v, 0.1) for k, v in values.items()}, backend="ufloat")
    arr = expr.evaluate({k: np.full(4, v) for k, v in values.items()}, backend="numpy")
    q = expr.evaluate({k: Q_(v, "") for k, v in values.items()}, backend="pint")
    assert u.nominal_value == pytest.approx(plain, rel=1e-14)
    assert np.allclose(arr, plain, rtol=1e-14)
    assert float(q.magnitude) == pytest.approx(plain, rel=1e-14)


def test_ufloat_backend_gives_derivatives() -> None:
    x = ufloat(3.0, 1.0)
    y = compile_expression("x ** 2 + abs(-x) * 2").evaluate({"x": x}, backend="ufloat")
    assert y.derivatives[x] == pytest.approx(2 * 3.0 + 2.0)


def test_numpy_backend_is_vectorised() -> None:
    draws = {k: np.full(1000, v) + np.linspace(0, 1e-6, 1000) for k, v in H1_VALUES.items()}
    y = compile_expression(H1).evaluate(draws, backend="numpy")
    assert isinstance(y, np.ndarray) and y.shape == (1000,)


def test_pint_backend_for_procedure_expressions() -> None:
    assert compile_expression("Max / 2").evaluate({"Max": Q_(15, "kg")}, "pint") == Q_(7.5, "kg")
    assert compile_expression("500 * e").evaluate({"e": Q_(5, "g")}, "pint") == Q_(2500, "g")
    assert compile_expression("20 * e").evaluate({"e": Q_(5, "g")}, "pint").to("kg") \
        == Q_(0.1, "kg")
    assert compile_expression("Max - 0.5 * e").evaluate(
        {"Max": Q_(15, "kg"), "e": Q_(5, "g")}, "pint").to("g").magnitude \
        == pytest.approx(14997.5)
    assert compile_expression("sqrt(a)").evaluate({"a": Q_(4.0, "m**2")}, "pint") \
        == Q_(2.0, "m")
    angle = compile_expression("sin(phi)").evaluate({"phi": Q_(30, "deg")}, "pint")
    assert float(angle) == pytest.approx(0.5)
    # a plain number in the namespace mixes with quantities
    assert compile_expression("n * e").evaluate({"n": 3, "e": Q_(5, "g")}, "pint") \
        == Q_(15, "g")


@pytest.mark.parametrize(("text", "names", "message"), [
    ("a + b", {"a": Q_(1, "mm"), "b": Q_(1, "K")}, "cannot add mm and K"),
    ("a - b", {"a": Q_(1, "mm"), "b": Q_(1, "s")}, "cannot subtract mm and s"),
    ("exp(a)", {"a": Q_(1, "mm")}, "exp() needs a dimensionless argument"),
    ("log(a / b)", {"a": Q_(1, "mm"), "b": Q_(1, "s")}, "log() needs a dimensionless"),
    ("atan2(a, b)", {"a": Q_(1, "mm"), "b": Q_(1, "K")}, "atan2() needs arguments of one"),
    ("a ** b", {"a": Q_(2, "mm"), "b": Q_(2, "K")}, "units do not fit in 'a ** b'"),
])
def test_pint_backend_refuses_unit_mismatch(text: str, names: dict, message: str) -> None:
    with pytest.raises(UnitError, match="units do not fit") as err:
        compile_expression(text).evaluate(names, backend="pint")
    assert message in str(err.value)


@pytest.mark.parametrize(("text", "what"), [
    ("__import__('os')", "a call to '__import__'"),
    ("__import__('os').system('echo hi')", "attribute access"),
    ("os.path", "attribute access 'os.path'"),
    ("a.real", "attribute access 'a.real'"),
    ("a.__class__.__mro__", "attribute access"),
    ("a[0]", "subscripts"),
    ("lambda: 1", "lambda"),
    ("(lambda: 1)()", "this call"),
    ("[x for x in a]", "comprehensions"),
    ("(x for x in a)", "generator"),
    ("open('f')", "a call to 'open'"),
    ("eval('1')", "a call to 'eval'"),
    ("getattr(a, 'b')", "a call to 'getattr'"),
    ("sqrt(x=1)", "keyword arguments"),
    ("sqrt(*a)", "starred"),
    ("a if b else c", "conditional"),
    ("a < b", "comparisons"),
    ("a and b", "boolean operators"),
    ("not a", "'not'"),
    ("~a", "'~'"),
    ("a ^ 2", "write powers as '**'"),
    ("a // 2", "floor division"),
    ("a % 2", "modulo"),
    ("'text'", "text"),
    ("1j", "complex"),
    ("True", "the constant True"),
    ("None", "the constant None"),
    ("[1, 2]", "lists"),
    ("(a, b)", "tuples"),
    ("{'a': 1}", "dictionaries"),
    ("f'{a}'", "f-strings"),
    ("(a := 1)", "':='"),
    ("__builtins__", "the name '__builtins__'"),
    ("sqrt", "without a call"),
    ("sqrt(a, b)", "takes 1 argument"),
    ("atan2(a)", "takes 2 arguments"),
])
def test_refused(text: str, what: str) -> None:
    with pytest.raises(ExpressionError) as err:
        compile_expression(text)
    message = str(err.value)
    assert what in message
    assert "\n" not in message


def test_refusal_names_the_column() -> None:
    with pytest.raises(ExpressionError, match="at column 5"):
        compile_expression("a + os.path")


@pytest.mark.parametrize("text", ["", "   ", "a +", "a b", "(a", "a = 1", "import os"])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(text)


def test_refuses_non_text_and_huge_or_deep_input() -> None:
    with pytest.raises(ExpressionError):
        compile_expression(42)  # type: ignore[arg-type]
    with pytest.raises(ExpressionError, match="longer than"):
        compile_expression("a + " * 5000 + "a")
    with pytest.raises(ExpressionError):
        compile_expression("(" * 2000 + "a" + ")" * 2000)


def test_runtime_errors_name_the_term() -> None:
    with pytest.raises(ExpressionError, match=r"division by zero in 'a / \(b - b\)'"):
        compile_expression("1 + a / (b - b)").evaluate({"a": 1.0, "b": 2.0})
    with pytest.raises(ExpressionError, match=r"'log\(a\)' is outside the domain of log"):
        compile_expression("log(a)").evaluate({"a": -1.0})
    with pytest.raises(ExpressionError, match="overflows"):
        compile_expression("9 ** 9 ** 9").evaluate({})  # float, not an endless int power
    with pytest.raises(ExpressionError, match="'c' in 'a \\+ c' is not defined"):
        compile_expression("a + c").evaluate({"a": 1.0})


def test_errors_are_config_errors() -> None:
    assert issubclass(ExpressionError, ConfigError)
    assert set(FUNCTIONS) == {"sqrt", "exp", "log", "log10", "sin", "cos", "tan", "atan2",
                              "abs"}


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        compile_expression("a").evaluate({"a": 1.0}, backend="sympy")


def test_evaluator_never_uses_python_eval() -> None:
    import inspect

    from labctl.uncertainty import expression

    source = inspect.getsource(expression)
    for forbidden in ("eval(", "exec(", "compile("):
        assert forbidden not in source.replace("compile_expression(", "").replace(
            "_compile(", "").replace("_compile_cached(", "")
