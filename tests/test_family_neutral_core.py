"""The core names no family: no module outside a family's sub-packages imports one, and
the code of the core's analysis, procedure and report modules (their strings and names,
not their docstrings) has no family word (a column headed "load" when the values are
masses was one).

import-linter (run by .ci/run) enforces the layers and the top-level packages; this test
covers every core module, down to ``labctl.procedures.run_loop`` and
``labctl.analysis.registry``, whose packages also hold families' sub-packages.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grimp

import labctl

# the families shipped with labctl ("concentration": the analyses the particulate and
# gas families share)
FAMILIES = ("weighing", "particulate", "concentration", "gas")


def family_of(module: str) -> str | None:
    parts = module.split(".")
    return next((p for p in parts[1:] if p in FAMILIES), None)


def test_no_core_module_imports_a_family() -> None:
    graph = grimp.build_graph("labctl")
    leaks = []
    for module in sorted(graph.modules):
        if family_of(module):
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            if family_of(imported):
                leaks.append(f"{module} -> {imported}")
    assert leaks == [], "core modules import a family:\n" + "\n".join(leaks)


def test_the_shipped_family_is_seen_by_the_check() -> None:
    graph = grimp.build_graph("labctl")
    found = {m for m in graph.modules if family_of(m)}
    assert "labctl.procedures.weighing.receptor" in found
    assert "labctl.register.weighing" in found


# -- family words in the core's code -------------------------------------------------------

#: Core packages and modules whose code (not their docstrings and comments, where a family
#: may serve as an example) must not speak of a family. Family sub-packages are skipped.
WORDED_CORE = ("report", "analysis", "procedures", "commands", "uncertainty", "bench", "cli.py",
               "calibration.py", "record_content.py", "history.py", "results.py",
               "events.py", "numbers.py", "register", "sim/world.py", "drivers/base.py")
#: Words of a family in a string or a name (``mass`` alone, ``load``: a weighing heading).
FAMILY_WORDS = re.compile(r"\b(weights?|weighing|cylinders?|chambers?|receptors?)\b", re.I)
FAMILY_LITERALS = {"load", "loads", "mass", "[mass]", "scale", "weight"}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def _family_words(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if node.value.strip().lower() in FAMILY_LITERALS:
                found.append(f"{node.lineno}: {node.value!r}")
                continue
            text = node.value
        elif isinstance(node, ast.Name | ast.Attribute | ast.FunctionDef | ast.ClassDef | ast.arg):
            name = getattr(node, "id", None) or getattr(node, "attr", None) or \
                getattr(node, "name", None) or getattr(node, "arg", "")
            text = name.replace("_", " ")
        if text and FAMILY_WORDS.search(text):
            found.append(f"{node.lineno}: {text[:60]!r}")
    return found


def test_the_core_code_has_no_family_words() -> None:
    package = Path(labctl.__file__).parent
    leaks = []
    for part in WORDED_CORE:
        root = package / part
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            if family_of(".".join(path.relative_to(package.parent).with_suffix("").parts)):
                continue
            leaks += [f"{path.relative_to(package.parent)}:{hit}" for hit in _family_words(path)]
    assert leaks == [], "family words in core code:\n" + "\n".join(leaks)


def test_the_family_word_check_sees_a_leak(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.py"
    leaky.write_text('"""A docstring may say weighing."""\n\n'
                     'def heading(unit):\n    """Or a load."""\n'
                     '    return "load" if unit == "kg" else "nominal"\n\n'
                     'def weights_of(x):\n    return f"{x} cylinder"\n', encoding="utf-8")
    hits = _family_words(leaky)
    assert sorted(int(h.split(":")[0]) for h in hits) == [5, 7, 8], hits
