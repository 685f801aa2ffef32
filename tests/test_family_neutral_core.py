"""The core names no family: no module outside a family's sub-packages imports one.

import-linter (run by .ci/run) enforces the layers and the top-level packages; this test
covers every core module, down to ``labctl.procedures.run_loop`` and
``labctl.analysis.registry``, whose packages also hold families' sub-packages.
"""

from __future__ import annotations

import grimp

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
