"""The procedure file: what loads, and every refusal naming file:line:col."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from procedure_fakes import MINI, location

from labctl.errors import ConfigError
from labctl.procedures.generic.reading import ReadAction
from labctl.procedures.loading import load_procedure
from labctl.procedures.parameters import parse_overrides, resolve_parameters
from labctl.procedures.weighing.loads import LoadAction
from labctl.units import Q_


def test_the_mini_procedure_loads_with_its_hash_and_path(mini) -> None:
    assert mini.id == "mini-scale" and mini.version == "0.1.0"
    assert mini.sha256 == hashlib.sha256(MINI.read_bytes()).hexdigest()
    assert mini.path == MINI
    assert [s.id for s in mini.steps] == ["weighing", "eccentricity", "repeatability"]
    assert mini.variable_values["Max"] == ("dut", "capacity")
    assert mini.variable_values["half"].names == ("Max",)
    assert mini.conditions.temperature.max == Q_(25, "degC")
    assert mini.conditions.max_suspension.to("s").magnitude == 1800
    load = mini.steps[0].actions[1]
    assert isinstance(load, LoadAction) and load.position == "centre" and not load.add
    read = mini.steps[0].actions[3]
    assert isinstance(read, ReadAction) and read.as_ == "indication"
    assert read.value("count").names == ("repeats",)
    assert mini.where("steps", 0, "id") == location(MINI, "id: weighing")
    words = [p["position"] for p in mini.steps[1].point_values]
    assert [(w.kind, w.value) for w in words] == [("word", "centre"), ("word", "front")]


def test_the_shipped_scale_procedure_loads(repo_root: Path) -> None:
    path = repo_root / "procedures" / "scale-jjg539.yaml"
    if not path.exists():
        pytest.skip(f"{path} is not written yet")
    procedure = load_procedure(path)
    assert procedure.id == "scale-jjg539"
    assert {r.capability for r in procedure.roles.values()} >= {"scale", "weight_handler"}
    assert any(s.sequence == "up_down" for s in procedure.steps)


# (replacement(s), snippet at the expected place, occurrence, words in the message)
BAD = {
    "unknown capability": (
        [("dut: {capability: scale}", "dut: {capability: balance}")],
        "capability: balance", 1, "unknown capability 'balance'"),
    "unknown action": (
        [("- zero: {role: dut}", "- zeroo: {role: dut}")], "zeroo", 1,
        "unknown action 'zeroo'"),
    "unknown action key": (
        [("- load: {role: loader, mass: load}\n      - wait",
          "- load: {role: loader, mass: load, speed: 2}\n      - wait")],
        "speed", 1, "unknown key 'speed'"),
    "action naming an undeclared role": (
        [("- zero: {role: dut}", "- zero: {role: balance}")], "role: balance", 1,
        "role 'balance' is not declared"),
    "read on a role without the capability": (
        [("read: {role: dut, as: zero}", "read: {role: loader, as: zero}")],
        "role: loader, as: zero", 1, "needs 'meter'"),
    "expression naming an unknown variable": (
        [("mass: Max / 3", "mass: Maxx / 3")], "mass: Maxx", 1, "unknown name 'Maxx'"),
    "misspelt name in a point": (
        [("points: [{load: half}]", "points: [{load: halff}]")], "load: halff", 1,
        "'halff' is not a known name"),
    "step id used twice": (
        [("id: eccentricity", "id: weighing")], "id: weighing", 2, "used twice"),
    "analysis referring to an unknown step": (
        [("analyses: []", "analyses:\n  - {analysis: weighing_error, steps: [weighingg]}")],
        "weighingg", 1, "unknown step 'weighingg'"),
    "unknown analysis": (
        [("analyses: []", "analyses:\n  - {analysis: weighing_eror, steps: [weighing]}")],
        "analysis: weighing_eror", 1, "unknown analysis 'weighing_eror'"),
    "unknown analysis option": (
        [("analyses: []", "analyses:\n  - {analysis: weighing_error, steps: [weighing], "
          "options: {rulle: simple}}")], "options: {rulle", 1, "has no option 'rulle'"),
    "analysis option naming an unknown step": (
        [("analyses: []", "analyses:\n  - {analysis: weighing_error, steps: [weighing], "
          "options: {zero_step: zeroing}}")], "zero_step: zeroing", 1,
        "unknown step 'zeroing'"),
    "temperature in kg": (
        [("max: 25 degC", "max: 25 kg")], "max: 25 kg", 1, "does not fit"),
    "humidity without its unit": (
        [("humidity: {max: 80 %}", "humidity: {max: 80}")], "max: 80}", 1,
        "write the unit"),
    "not a position": (
        [("{position: front}", "{position: frnt}")], "position: frnt", 1,
        "'frnt' is not a position"),
    "unknown role attribute": (
        [("Min: dut.min_load", "Min: dut.minimum")], "Min: dut.minimum", 1,
        "no attribute 'minimum'"),
    "unknown top-level key": (
        [("kind: verification", "kind: verification\nkindd: x")], "kindd", 1,
        "unknown key 'kindd'"),
    "malformed YAML": (
        [("  - id: eccentricity\n", "  - id: eccentricity\n   points: [\n")], "points: [", 1,
        "malformed YAML"),
    "conditions without an environment role": (
        [("  environment: {capability: environment, optional: true}\n", "")], "conditions:\n", 1,
        "environment to watch"),
    "when naming nothing": (
        [("- zero: {role: dut}", "- zero: {role: dut, when: checked}")], "when: checked", 1,
        "unknown name 'checked'"),
    "wrong sequence": (
        [("sequence: up_down", "sequence: updown")], "sequence: updown", 1, "sequence"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_procedures_are_refused_at_their_place(case: str, variant) -> None:
    replacements, snippet, occurrence, words = BAD[case]
    path = variant(*replacements)
    with pytest.raises(ConfigError) as err:
        load_procedure(path)
    message = str(err.value)
    expected = location(path, snippet, occurrence)
    line_col = expected.rsplit(":", 2)
    if case == "malformed YAML":  # the parser reports where it noticed: same line
        assert message.startswith(f"{line_col[0]}:{line_col[1]}:"), message
    else:
        assert message.startswith(expected + ": "), message
    assert words in message
    assert "\n" not in message


def test_unknown_key_lists_the_keys_of_the_action(variant) -> None:
    path = variant(("after:\n      - unload: {role: loader}",
                    "after:\n      - unload: {role: loader, at: 1}"))
    with pytest.raises(ConfigError, match=r"the keys here are .*role") as err:
        load_procedure(path)
    assert str(err.value).startswith(location(path, "at: 1"))


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_procedure(tmp_path / "nope.yaml")


def test_parameters_defaults_and_overrides(mini) -> None:
    values = resolve_parameters(mini)
    assert values == {"category": "initial", "settle": Q_(5, "s"), "repeats": 2}
    values = resolve_parameters(mini, parse_overrides(
        ["category=in_service", "settle=1 min", "repeats=3"]))
    assert values["category"] == "in_service"
    assert values["settle"] == Q_(60, "s") and values["repeats"] == 3


@pytest.mark.parametrize("override, key, words", [
    ({"categroy": "initial"}, "parameters:", "declares no parameter 'categroy'"),
    ({"category": "verified"}, "category: {default", "not among the choices"),
    ({"settle": "5 kg"}, "settle:", "does not fit"),
    ({"repeats": "many"}, "repeats:", "expected a number"),
])
def test_bad_overrides_name_the_declaration(mini, override, key, words) -> None:
    with pytest.raises(ConfigError) as err:
        resolve_parameters(mini, override)
    assert str(err.value).startswith(location(MINI, key) + ": ")
    assert words in str(err.value)


def test_param_option_syntax() -> None:
    assert parse_overrides(["a=1", " b = x "]) == {"a": "1", "b": "x"}
    with pytest.raises(ConfigError, match="name=value"):
        parse_overrides(["novalue"])
