"""Shared test fixtures: every test gets its own labctl home (keys, registry, runs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def labctl_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "labctl-home"
    home.mkdir()
    monkeypatch.setenv("LABCTL_HOME", str(home))
    return home


@pytest.fixture
def repo_root() -> Path:
    return ROOT


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def raw_sql() -> Any:
    """raw_sql(url, statements): run SQL on a registry's database behind labctl's back."""

    def run(url: str, statements: list[str]) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                for statement in statements:
                    conn.execute(text(statement))
        finally:
            engine.dispose()

    return run
