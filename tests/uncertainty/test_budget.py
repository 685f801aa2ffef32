"""The Python budget API: units, correlations, coverage, Monte Carlo, decisions, JSON."""

from __future__ import annotations

import json
import math

import pytest

from labctl.errors import ConfigError
from labctl.uncertainty import (
    Budget,
    BudgetError,
    Coverage,
    Input,
    McmOptions,
    Specification,
)


def scale_budget(**kw) -> Budget:
    """The error of a scale indication: E = I - m (the brief's example)."""
    kw.setdefault("coverage", Coverage(probability=0.9545))
    return Budget(model="I - m",
                  inputs={"I": Input.resolution(7.505, 0.005, unit="kg"),
                          "m": Input.expanded(7.5, 0.0004, k=2, unit="kg")},
                  measurand=("E", "g"), **kw)


def test_result_in_the_measurand_unit() -> None:
    r = scale_budget().evaluate()
    assert r.unit == "g"
    assert r.value == pytest.approx(5.0)
    u = math.sqrt((2.5 / math.sqrt(3)) ** 2 + 0.2 ** 2)  # in g
    assert r.standard_uncertainty == pytest.approx(u)
    assert r.effective_dof == math.inf and r.coverage_factor == pytest.approx(2.0, abs=1e-4)
    assert r.expanded_uncertainty == pytest.approx(r.coverage_factor * u)
    # components stay in the inputs' units; sensitivities are g per kg
    i, m = r.components
    assert (i.name, i.unit, i.value) == ("I", "kg", 7.505)
    assert i.sensitivity == pytest.approx(1000.0) and m.sensitivity == pytest.approx(-1000.0)
    assert i.contribution == pytest.approx(2.5 / math.sqrt(3))
    assert i.share + m.share == pytest.approx(1.0)
    assert r.interval == pytest.approx((5.0 - r.expanded_uncertainty,
                                        5.0 + r.expanded_uncertainty))


def test_result_unit_derived_when_not_given() -> None:
    r = Budget("V / I", {"V": Input.standard(5.0, 0.01, unit="V"),
                         "I": Input.standard(20.0, 0.01, unit="mA")}).evaluate()
    assert r.unit == "V/mA" and r.value == pytest.approx(0.25)
    r2 = Budget("a + b", {"a": Input.standard(1.0, 0.1, unit="mm"),
                          "b": Input.standard(1.0, 0.1, unit="m")}).evaluate()
    assert r2.unit == "mm" and r2.value == pytest.approx(1001.0)  # 1 mm + 1 m, in mm
    assert r2.standard_uncertainty == pytest.approx(math.hypot(0.1, 100.0))
    dimensionless = Budget("x / y", {"x": Input.standard(1, 0.1), "y": Input.standard(2, 0.1)})
    assert dimensionless.evaluate().unit == ""


def test_offset_units_convert_values_and_uncertainties() -> None:
    r = Budget("t - t0", {"t": Input.standard(25.0, 0.1, unit="degC"),
                          "t0": Input.standard(20.0, 0.0, unit="degC")},
               measurand=("dt", "K")).evaluate()
    assert r.value == pytest.approx(5.0) and r.standard_uncertainty == pytest.approx(0.1)
    kelvin = Budget("t", {"t": Input.standard(25.0, 0.1, unit="degC")},
                    measurand=("T", "K")).evaluate()
    assert kelvin.value == pytest.approx(298.15) and kelvin.standard_uncertainty \
        == pytest.approx(0.1)


def test_fixed_coverage_factor() -> None:
    r = scale_budget(coverage=Coverage(k=2)).evaluate()
    assert r.coverage_factor == 2 and r.coverage_probability == pytest.approx(0.9545, abs=1e-4)
    small = Budget("x", {"x": Input.samples([1.0, 1.2, 0.9, 1.1])},
                   coverage=Coverage(k=2)).evaluate()
    assert small.effective_dof == 3
    assert small.coverage_probability == pytest.approx(0.861, abs=1e-3)  # 2 t-units, 3 dof


def test_welch_satterthwaite() -> None:
    # two equal components with 4 and infinite dof: nu = u^4 / (u1^4 / 4) = 4 * 4 = 16
    r = Budget("a + b", {"a": Input.standard(0, 1, dof=4), "b": Input.standard(0, 1)}
               ).evaluate()
    assert r.effective_dof == 16
    assert r.coverage_factor == pytest.approx(2.169, abs=1e-3)  # t_95.45(16)
    # truncated, not rounded: 2 equal components with 5 dof each -> 10.0; 3 and 7 -> 8.4
    r2 = Budget("a + b", {"a": Input.standard(0, 1, dof=3), "b": Input.standard(0, 1, dof=7)}
                ).evaluate()
    assert r2.effective_dof == 8
    assert Budget("a", {"a": Input.standard(0, 0.0, dof=3)}).evaluate().effective_dof \
        == math.inf


def test_correlations_enter_the_propagation() -> None:
    inputs = {"a": Input.standard(1.0, 0.3), "b": Input.standard(2.0, 0.4)}
    for r in (-1.0, -0.5, 0.0, 0.5, 1.0):
        res = Budget("a + b", inputs, correlations={("a", "b"): r}).evaluate()
        assert res.standard_uncertainty == pytest.approx(
            math.sqrt(0.09 + 0.16 + 2 * r * 0.12), abs=1e-12)
        assert sum(c.share for c in res.components) == pytest.approx(1.0)
    # difference of perfectly correlated equal inputs: no uncertainty left
    same = Budget("a - b", {"a": Input.standard(1.0, 0.3), "b": Input.standard(1.0, 0.3)},
                  correlations=[("a", "b", 1.0)]).evaluate()
    assert same.standard_uncertainty == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(("correlations", "key", "message"), [
    ([("a", "b", 1.5)], ("correlations", 0), "outside"),
    ([("a", "b", -1.01)], ("correlations", 0), "outside"),
    ([("a", "zz", 0.5)], ("correlations", 0), "not an input"),
    ([("a", "a", 0.5)], ("correlations", 0), "itself"),
    ([("a", "b", 0.5), ("b", "a", 0.4)], ("correlations", 1), "twice"),
    ([("a", "b", 0.9), ("a", "c", 0.9), ("b", "c", -0.9)], ("correlations",),
     "not positive semi-definite"),
    ([("a", "b", "lots")], ("correlations", 0), "must be a number"),
])
def test_bad_correlations(correlations: list, key: tuple, message: str) -> None:
    inputs = {n: Input.standard(1.0, 0.1) for n in "abc"}
    with pytest.raises(BudgetError, match=message) as err:
        Budget("a + b + c", inputs, correlations=correlations)
    assert err.value.key == key


def test_name_checks() -> None:
    with pytest.raises(BudgetError, match="uses 'c', which is not an input") as err:
        Budget("a + c", {"a": Input.standard(1, 0.1)})
    assert err.value.key == ("model",)
    with pytest.raises(BudgetError, match="'b' is not used") as err:
        Budget("a", {"a": Input.standard(1, 0.1), "b": Input.standard(1, 0.1)})
    assert err.value.key == ("inputs", "b")
    with pytest.raises(BudgetError, match="constant"):
        Budget("pi", {"pi": Input.standard(1, 0.1)})
    with pytest.raises(BudgetError, match="at least one input"):
        Budget("2 * pi", {})
    with pytest.raises(BudgetError, match="must be an Input"):
        Budget("a", {"a": 1.0})  # type: ignore[dict-item]


def test_unit_errors_name_the_model_or_unit() -> None:
    with pytest.raises(BudgetError, match="cannot add mm and K") as err:
        Budget("a + b", {"a": Input.standard(1, 0.1, unit="mm"),
                         "b": Input.standard(1, 0.1, unit="K")})
    assert err.value.key == ("model",) and err.value.unit_error
    with pytest.raises(BudgetError, match="does not fit") as err:
        Budget("a", {"a": Input.standard(1, 0.1, unit="mm")}, measurand=("y", "kg"))
    assert err.value.key == ("measurand", "unit")
    with pytest.raises(BudgetError, match="unknown unit") as err:
        Budget("a", {"a": Input.standard(1, 0.1, unit="blorp")})
    assert err.value.key == ("inputs", "a", "unit")


def test_not_differentiable_is_refused() -> None:
    with pytest.raises(BudgetError, match="no finite derivative"):
        Budget("sqrt(a)", {"a": Input.standard(0.0, 0.1)}).evaluate()


def test_second_order_refuses_correlations() -> None:
    inputs = {"a": Input.standard(1.0, 0.3), "b": Input.standard(2.0, 0.4)}
    with pytest.raises(BudgetError, match="uncorrelated") as err:
        Budget("a * b", inputs, correlations={("a", "b"): 0.5}, second_order=True)
    assert err.value.key == ("second_order",)


def test_second_order_of_a_product() -> None:
    # y = a b with normal inputs: exact variance = b^2 ua^2 + a^2 ub^2 + ua^2 ub^2
    inputs = {"a": Input.standard(1.0, 0.3), "b": Input.standard(2.0, 0.4)}
    r = Budget("a * b", inputs, second_order=True).evaluate()
    assert r.standard_uncertainty ** 2 == pytest.approx(4 * 0.09 + 0.16 + 0.09 * 0.16)
    # y = a^2 (normal): var = 4 a^2 u^2 + 2 u^4 (exact for a quadratic)
    sq = Budget("a ** 2", {"a": Input.standard(1.0, 0.3)}, second_order=True).evaluate()
    assert sq.standard_uncertainty ** 2 == pytest.approx(4 * 0.09 + 2 * 0.3 ** 4)
    # y = exp(a): eq. (10) gives f1^2 u^2 + (f2^2 / 2 + f1 f3) u^4 (fn: n-th derivative,
    # all exp(a) here); the numerical f2, f3 (steps of u / 10) are good to O(h^2)
    e = Budget("exp(a)", {"a": Input.standard(0.5, 0.2)}, second_order=True).evaluate()
    f = math.exp(0.5)
    exact = f * f * 0.04 + (0.5 * f * f + f * f) * 0.04 ** 2
    assert e.standard_uncertainty ** 2 == pytest.approx(exact, rel=1e-5)


def test_correlated_samples_form_one_ensemble_for_dof() -> None:
    x = Input.samples([1.0, 1.2, 0.9, 1.1, 1.05])
    y = Input.samples([2.0, 2.3, 1.9, 2.2, 2.1])
    r = Budget("x + y", {"x": x, "y": y}, correlations=[("x", "y", "samples")]).evaluate()
    assert r.effective_dof == 4 and not r.notes
    mixed = Budget("x + z", {"x": x, "z": Input.standard(0, 0.05, dof=10)},
                   correlations=[("x", "z", 0.3)]).evaluate()
    assert any("different finite dof" in n for n in mixed.notes)


def test_decision() -> None:
    # E = 5 g, U = 2.9 g; MPE 7 g: acceptance [-4.1, 4.1] g rejects 5 g, but 5 - U = 2.1 g
    # lies within the limits: a conditional fail
    spec = Specification.symmetric(0.0, 7.0)
    r = scale_budget(specification=spec, rule="guard_band_U").evaluate()
    assert r.decision is not None and r.decision.rule == "guard_band_U"
    assert r.decision.result == "conditional_fail"
    assert r.to_dict()["decision"]["specification"] == {"lower": -7.0, "upper": 7.0}
    ok = scale_budget(specification=Specification.symmetric(0.0, 20.0)).evaluate()
    assert ok.decision is not None and ok.decision.result == "pass"
    with pytest.raises(BudgetError, match="unknown decision rule"):
        scale_budget(specification=spec, rule="lenient")


def test_monte_carlo_and_validation() -> None:
    r = scale_budget().evaluate(monte_carlo=McmOptions(trials=50_000, seed=3))
    assert r.mcm is not None and r.validation is not None
    assert r.mcm.trials == 50_000 and r.mcm.coverage_probability == r.coverage_probability
    assert r.mcm.value == pytest.approx(5.0, abs=0.05)
    assert r.mcm.standard_uncertainty == pytest.approx(r.standard_uncertainty, rel=0.02)
    again = scale_budget().evaluate(monte_carlo=McmOptions(trials=50_000, seed=3))
    assert again.mcm is not None and again.mcm.interval == r.mcm.interval  # seeded
    kept = scale_budget().evaluate(monte_carlo=McmOptions(trials=1000, seed=1,
                                                          keep_draws=True))
    assert kept.mcm is not None and kept.mcm.draws is not None
    assert kept.mcm.draws.shape == (1000,)


def test_monte_carlo_in_the_measurand_unit_and_with_correlations() -> None:
    inputs = {"a": Input.standard(1.0, 0.003, unit="m"), "b": Input.standard(2.0, 0.004,
                                                                              unit="m")}
    r = Budget("a + b", inputs, measurand=("L", "mm"), correlations=[("a", "b", 0.5)]
               ).evaluate(McmOptions(trials=200_000, seed=2))
    assert r.mcm is not None
    assert r.mcm.value == pytest.approx(3000.0, abs=0.1)
    assert r.mcm.standard_uncertainty == pytest.approx(r.standard_uncertainty, rel=0.01)


def test_monte_carlo_refuses_correlated_bounded_inputs() -> None:
    inputs = {"a": Input.rectangular(1.0, 0.3), "b": Input.standard(2.0, 0.4)}
    budget = Budget("a + b", inputs, correlations=[("a", "b", 0.5)])
    budget.evaluate()  # GUM is fine
    with pytest.raises(BudgetError, match="correlates only normal") as err:
        budget.evaluate(McmOptions(trials=1000, seed=1))
    assert err.value.key == ("correlations", 0)


def test_monte_carlo_outside_the_models_domain() -> None:
    budget = Budget("log(a)", {"a": Input.standard(0.1, 1.0)})
    with pytest.raises(BudgetError, match="non-finite") as err:
        budget.evaluate(McmOptions(trials=1000, seed=1))
    assert err.value.key == ("monte_carlo",)


def test_to_dict_is_the_issue_json() -> None:
    r = scale_budget(specification=Specification.symmetric(0.0, 20.0)).evaluate(
        monte_carlo=McmOptions(trials=10_000, seed=1))
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    for key in ("value", "unit", "standard_uncertainty", "effective_dof", "coverage_factor",
                "coverage_probability", "expanded_uncertainty", "components", "mcm",
                "decision"):
        assert key in d
    assert d["effective_dof"] is None  # infinite
    for c in d["components"]:
        for key in ("name", "value", "standard_uncertainty", "sensitivity", "contribution",
                    "dof", "distribution", "share", "unit"):
            assert key in c
    for key in ("value", "standard_uncertainty", "interval", "shortest_interval", "trials",
                "validated"):
        assert key in d["mcm"]
    assert len(d["mcm"]["interval"]) == 2 and isinstance(d["mcm"]["validated"], bool)
    assert d["decision"]["result"] == "pass" and d["decision"]["rule"] == "simple"
    finite = Budget("x", {"x": Input.samples([1.0, 2.0, 3.0])}).evaluate().to_dict()
    assert finite["effective_dof"] == 2 and finite["mcm"] is None
    assert finite["decision"] is None


def test_budget_errors_are_config_errors() -> None:
    assert issubclass(BudgetError, ConfigError)
    with pytest.raises(BudgetError):
        Coverage(probability=95)
    with pytest.raises(BudgetError):
        Coverage(probability=0.95, k=2)
    with pytest.raises(BudgetError):
        Coverage(k=-1)


def test_building_the_same_budget_again_reuses_the_unit_check(monkeypatch) -> None:
    from labctl.uncertainty import unit_plan as module

    scale_budget()  # first build: the pint check runs and is cached

    def fail(*args, **kwargs):
        raise AssertionError("pint unit derivation ran again")

    monkeypatch.setattr(module, "_derive_units", fail)
    for value in (7.5, 7.51, 7.49):
        b = Budget("I - m", {"I": Input.resolution(value, 0.005, unit="kg"),
                             "m": Input.expanded(7.5, 0.0004, k=2, unit="kg")},
                   measurand=("E", "g"))
        assert b.evaluate().value == pytest.approx((value - 7.5) * 1000)


def test_monte_carlo_note_for_t_inputs_without_variance() -> None:
    # three samples: t with 2 dof for Monte Carlo (JCGM 101 6.4.9), of infinite variance
    r = Budget("x", {"x": Input.samples([1.0, 2.0, 3.0])}).evaluate(
        McmOptions(trials=10_000, seed=1))
    assert any("no finite variance" in n for n in r.notes)
    four = Budget("x", {"x": Input.samples([1.0, 2.0, 3.0, 2.5])}).evaluate(
        McmOptions(trials=10_000, seed=1))
    assert not any("no finite variance" in n for n in four.notes)


def test_a_negligible_finite_dof_component_gives_infinite_effective_dof():
    # u_i/u_c ~ 1e-10 with 2 dof would give nu_eff ~ 1e40 by W-S; it is reported as
    # infinite (k from the normal), and the JSON holds null, not a 41-digit integer.
    from labctl.uncertainty import Budget, Input

    result = Budget("a + b", {"a": Input.standard(1.0, 1.0),
                              "b": Input.standard(0.0, 1e-10, dof=2)}).evaluate()
    assert math.isinf(result.effective_dof)
    assert result.to_dict()["effective_dof"] is None
    assert result.coverage_factor == pytest.approx(2.0, abs=1e-3)
