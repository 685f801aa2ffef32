"""Shared test fixtures: every test gets its own labctl home (keys, registry, runs)."""

from __future__ import annotations

import os
from pathlib import Path

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
