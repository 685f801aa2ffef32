"""Fixtures of the procedures tests: the mini procedure, variants of it, fake benches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from procedure_fakes import MINI

from labctl.procedures.loading import load_procedure
from labctl.procedures.procedure_model import Procedure

MINI_TEXT = MINI.read_text(encoding="utf-8")


@pytest.fixture
def mini() -> Procedure:
    return load_procedure(MINI)


@pytest.fixture
def variant(tmp_path: Path) -> Callable[..., Path]:
    """Write the mini procedure with replacements (each ``old`` must occur once, or
    ``count`` times when given as (old, new, count)) and return its path."""

    def make(*replacements: tuple, name: str = "variant.yaml") -> Path:
        text = MINI_TEXT
        for rep in replacements:
            old, new = rep[0], rep[1]
            count = rep[2] if len(rep) > 2 else 1
            assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times"
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return make
