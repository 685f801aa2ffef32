"""Bad budget files through the command line: exit status 2, one line on stderr naming
the file, the line and the key; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.cli import main

GOOD_INPUTS = """\
inputs:
  a: {value: 1.0, unit: mm, standard_uncertainty: 0.1}
  b: {value: 2.0, unit: mm, standard_uncertainty: 0.2}
"""


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
        *args: str) -> tuple[int, str, str]:
    path = tmp_path / "budget.yaml"
    path.write_text(text, encoding="utf-8")
    status = main(["uncertainty", str(path), "--no-mc", *args])
    out, err = capsys.readouterr()
    return status, out, err


# (description, file text, line, text that must appear in the message)
CASES = [
    ("name used but not defined", "model: a + b + c\n" + GOOD_INPUTS, 1,
     "model: the model uses 'c', which is not an input"),
    ("unknown function", "model: a + foo(b)\n" + GOOD_INPUTS, 1, "a call to 'foo'"),
    ("__import__", "model: __import__('os').system('true') + a + b\n" + GOOD_INPUTS, 1,
     "model: attribute access"),
    ("bare __import__ call", "model: __import__('os')\n" + GOOD_INPUTS, 1,
     "a call to '__import__'"),
    ("attribute access", "model: a.real + b\n" + GOOD_INPUTS, 1,
     "attribute access 'a.real'"),
    ("subscript", "model: a[0] + b\n" + GOOD_INPUTS, 1, "subscripts"),
    ("unit mismatch", """\
model: a + b
inputs:
  a: {value: 1.0, unit: mm, standard_uncertainty: 0.1}
  b: {value: 2.0, unit: K, standard_uncertainty: 0.2}
""", 1, "model: units do not fit in 'a + b': cannot add mm and K"),
    ("negative uncertainty", """\
model: a + b
inputs:
  a: {value: 1.0, unit: mm, standard_uncertainty: 0.1}
  b: {value: 2.0, unit: mm, standard_uncertainty: -0.2}
""", 4, "inputs.b.standard_uncertainty: standard_uncertainty must not be negative"),
    ("negative half-width", """\
model: a + b
inputs:
  a: {value: 1.0, unit: mm, standard_uncertainty: 0.1}
  b: {value: 2.0, unit: mm, distribution: rectangular,
      half_width: -1}
""", 5, "inputs.b.half_width: half_width must not be negative"),
    ("correlation outside [-1, 1]", "model: a + b\n" + GOOD_INPUTS + """\
correlations:
  - [a, b, 1.5]
""", 6, "correlations.0: correlation between 'a' and 'b' is 1.5, outside [-1, 1]"),
    ("correlation matrix not positive semi-definite", """\
model: a + b + c
inputs:
  a: {value: 1.0, standard_uncertainty: 0.1}
  b: {value: 2.0, standard_uncertainty: 0.2}
  c: {value: 2.0, standard_uncertainty: 0.2}
correlations:
  - [a, b, 0.9]
  - [a, c, 0.9]
  - [b, c, -0.9]
""", 6, "correlations: the correlation matrix is not positive semi-definite"),
    ("correlation naming an unknown input", "model: a + b\n" + GOOD_INPUTS + """\
correlations: [[a, z, 0.5]]
""", 5, "correlation names 'z', which is not an input"),
    ("unknown distribution", """\
model: a + b
inputs:
  a: {value: 1.0, standard_uncertainty: 0.1}
  b: {value: 2.0, distribution: gaussian, half_width: 0.2}
""", 4, "inputs.b.distribution: unknown distribution 'gaussian'"),
    ("input defined but never used", "model: a\n" + GOOD_INPUTS, 4,
     "inputs.b: input 'b' is not used by the model"),
    ("misspelt key", """\
model: a
inputs:
  a: {value: 1.0, standard_uncertainity: 0.1}
""", 3, "inputs.a.standard_uncertainity: Extra inputs are not permitted"),
    ("no uncertainty at all", """\
model: a
inputs:
  a: {value: 1.0}
""", 3, "inputs.a: an input needs exactly one of"),
    ("two kinds at once", """\
model: a
inputs:
  a: {value: 1.0, standard_uncertainty: 0.1,
      resolution: 0.01}
""", 4, "got standard_uncertainty and resolution"),
    ("expanded uncertainty without k", """\
model: a
inputs:
  a: {value: 1.0, expanded_uncertainty: 0.1}
""", 3, "k or coverage_probability"),
    ("unknown unit", """\
model: a
inputs:
  a: {value: 1.0, unit: blorp, standard_uncertainty: 0.1}
""", 3, "inputs.a.unit: unknown unit 'blorp'"),
    ("uncertainty in a unit that does not fit", """\
model: a
inputs:
  a: {value: 1.0, unit: mm, standard_uncertainty: 3 K}
""", 3, "inputs.a.standard_uncertainty"),
    ("measurand unit that does not fit", """\
measurand: {name: l, unit: kg}
model: a + b
""" + GOOD_INPUTS, 1, "measurand.unit"),
    ("one sample", """\
model: a
inputs:
  a: {samples: [1.0]}
""", 3, "inputs.a.samples: a Type A evaluation needs at least 2 samples"),
    ("bad coverage", "model: a + b\n" + GOOD_INPUTS + "coverage: {probability: 95}\n", 5,
     "coverage.probability"),
    ("bad decision rule", "model: a + b\n" + GOOD_INPUTS +
     "specification: {nominal: 3 mm, mpe: 1 mm, rule: lenient}\n", 5,
     "specification.rule: unknown decision rule 'lenient'"),
    ("specification in a unit that does not fit", "model: a + b\n" + GOOD_INPUTS +
     "specification: {nominal: 3 kg, mpe: 1 mm}\n", 5, "specification.nominal"),
    ("missing model", GOOD_INPUTS, 1, "model: Field required"),
    ("malformed YAML", "model: a + b\ninputs: {a: [1, 2}\n", 2, "malformed YAML"),
    ("duplicate key", "model: a\nmodel: b\n" + GOOD_INPUTS, 2, "duplicate key 'model'"),
    ("not a mapping", "- a\n- b\n", 1, "a budget file is a mapping"),
    ("reserved input name", """\
model: sqrt(x) + pi
inputs:
  x: {value: 1.0, standard_uncertainty: 0.1}
  pi: {value: 3.0, standard_uncertainty: 0.1}
""", 4, "inputs.pi"),
    ("model not differentiable at the estimate", """\
model: sqrt(a)
inputs:
  a: {value: 0.0, standard_uncertainty: 0.1}
""", 1, "model: the model has no finite derivative"),
    ("division by zero at the estimate", """\
model: a / b
inputs:
  a: {value: 1.0, standard_uncertainty: 0.1}
  b: {value: 0.0, standard_uncertainty: 0.1}
""", 1, "division by zero in 'a / b'"),
    ("second order with correlations", "model: a * b\n" + GOOD_INPUTS +
     "correlations: [[a, b, 0.5]]\nsecond_order: true\n", 6, "second_order"),
]


@pytest.mark.parametrize(("text", "line", "message"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_budget_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                         line: int, message: str) -> None:
    status, out, err = run(tmp_path, capsys, text)
    assert status == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    path = str(tmp_path / "budget.yaml")
    assert lines[0].startswith(f"labctl: error: {path}:{line}:"), lines[0]
    assert message in lines[0]


def test_monte_carlo_failure_is_one_line(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "budget.yaml"
    path.write_text("model: log(a)\ninputs:\n  a: {value: 0.1, standard_uncertainty: 1}\n"
                    "monte_carlo: {trials: 1000, seed: 1}\n", encoding="utf-8")
    status = main(["uncertainty", str(path)])
    _, err = capsys.readouterr()
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert f"{path}:4:1: monte_carlo: Monte Carlo: the model gave a non-finite value" in err


def test_correlated_rectangular_inputs_with_monte_carlo(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "budget.yaml"
    path.write_text("model: a + b\ninputs:\n"
                    "  a: {value: 1, distribution: rectangular, half_width: 1}\n"
                    "  b: {value: 1, standard_uncertainty: 1}\n"
                    "correlations: [[a, b, 0.5]]\nmonte_carlo: {trials: 1000}\n",
                    encoding="utf-8")
    status = main(["uncertainty", str(path)])
    _, err = capsys.readouterr()
    assert status == 2 and f"{path}:5:" in err and "correlates only normal" in err
    assert main(["uncertainty", str(path), "--no-mc"]) == 0  # GUM alone is fine


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["uncertainty", str(tmp_path / "nope.yaml")])
    _, err = capsys.readouterr()
    assert status == 2 and "file not found" in err and len(err.strip().splitlines()) == 1


def test_plot_without_monte_carlo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(tmp_path, capsys, "model: a + b\n" + GOOD_INPUTS, "--plot",
                         str(tmp_path / "h.png"))
    assert status == 2 and "--plot needs the Monte Carlo draws" in err


# -- files that are not text, and more trials than memory holds ----------------------

@pytest.mark.parametrize("content, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text: byte 0x89"),
    ("model: a + b  # café\n".encode("latin-1") + GOOD_INPUTS.encode(), "byte 0xe9"),
    ("model: a + b\n".encode("utf-16"), "it is UTF-16"),
    (b"model: a + b\x00\n", "character U+0000 is not allowed"),
])
def test_a_file_that_is_not_utf8_text_is_one_line_naming_it(
        content: bytes, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "budget.yaml"
    path.write_bytes(content)
    status = main(["uncertainty", str(path)])
    _, err = capsys.readouterr()
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"labctl: error: {path}:1:") and words in err, err


MANY = "model: a + b\n" + GOOD_INPUTS + "monte_carlo: {trials: 1e12}\n"


def test_more_trials_than_memory_holds_in_the_file_is_refused_stating_the_limit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "budget.yaml"
    path.write_text(MANY, encoding="utf-8")
    status = main(["uncertainty", str(path)])
    _, err = capsys.readouterr()
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert f"{path}:5:15: monte_carlo.trials: 1,000,000,000,000 trials would hold" in err
    assert "at most " in err and "bytes a trial in 50% of the" in err


@pytest.mark.parametrize("trials", ["1e12", "1000000000000"])
def test_more_trials_than_memory_holds_on_the_command_line_is_refused(
        trials: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "budget.yaml"
    path.write_text("model: a + b\n" + GOOD_INPUTS, encoding="utf-8")
    status = main(["uncertainty", str(path), "--trials", trials])
    _, err = capsys.readouterr()
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("labctl: error: --trials: 1,000,000,000,000 trials") and "at most" in err


def test_trials_in_exponent_notation_are_accepted(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "budget.yaml"
    path.write_text("model: a + b\n" + GOOD_INPUTS, encoding="utf-8")
    assert main(["uncertainty", str(path), "--trials", "2e4", "--seed", "1", "--json"]) == 0
    assert '"trials": 20000' in capsys.readouterr().out
    assert main(["uncertainty", str(path), "--trials", "2.5e4"]) == 0
    assert main(["uncertainty", str(path), "--trials", "1000.5"]) == 2
    assert "not a whole number of trials" in capsys.readouterr().err


def test_the_trial_limit_is_half_the_memory_available_over_the_bytes_a_trial(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from labctl.uncertainty import mcm

    monkeypatch.setattr(mcm, "available_memory", lambda: (1 << 30, "available"))
    assert mcm.trial_limit() == (1 << 29) // 8 == 67_108_864
    assert mcm.trial_limit(adaptive=True, keep_draws=True) == (1 << 29) // 24
    mcm.check_trials(67_108_864)
    with pytest.raises(mcm.TooManyTrials, match=r"at most 67,108,864 fit here \(8 bytes a "
                                                r"trial in 50% of the 1 GiB of memory"):
        mcm.check_trials(67_108_865)
    with pytest.raises(mcm.TooManyTrials):  # refused before any array is made
        mcm.run_mcm(lambda d: d["a"], {}, trials=10**8)


def test_memory_available_comes_from_the_system() -> None:
    from labctl.uncertainty.mcm import available_memory

    memory, source = available_memory()
    assert memory > 0 and source in ("available", "free", "half the physical", "assumed")
