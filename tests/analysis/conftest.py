"""Fixtures of the analysis tests (the builders live in weighing_journal.py)."""

from __future__ import annotations

from typing import Any

import pytest
from weighing_journal import PLATE, STANDARDS, Journal


@pytest.fixture
def plate() -> dict[str, Any]:
    return dict(PLATE)


@pytest.fixture
def standards() -> dict[str, Any]:
    return dict(STANDARDS)


@pytest.fixture
def journal() -> Journal:
    return Journal()
