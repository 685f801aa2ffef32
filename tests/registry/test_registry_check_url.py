"""``check_url``: a registry URL that can never work is refused before a run starts;
one that may work later (a server down now) is not reached at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.registry.database import check_url
from labctl.registry.errors import RegistryError


@pytest.mark.parametrize("url", [
    None, "sqlite://", "sqlite:///:memory:", "postgresql+psycopg://lab@127.0.0.1:1/none",
    "postgresql://lab@db.invalid/records", "http://127.0.0.1:1/", "https://registry.invalid",
])
def test_urls_that_may_work_pass_without_being_reached(url: str | None) -> None:
    check_url(url)


def test_a_sqlite_file_in_an_existing_directory_passes(tmp_path: Path) -> None:
    check_url(f"sqlite:///{tmp_path / 'r.db'}")  # the file itself is created on first use
    assert not (tmp_path / "r.db").exists()


@pytest.mark.parametrize("url, words", [
    ("sqlite:///no/such/dir/r.db", r"directory \S*/no/such/dir does not exist"),
    ("sqlite:////no/such/dir/r.db", r"directory /no/such/dir does not exist"),
    ("sqlite+aiosqlite:///r.db", r"driver 'aiosqlite' is not supported"),
    ("mysql://lab@host/db", r"'mysql' databases are not supported"),
    ("ftp://host/registry", r"'ftp' databases are not supported"),
    ("registry.db", r"is not a registry URL"),
    ("https://", r"names no host"),
])
def test_urls_that_can_never_work_are_refused(url: str, words: str) -> None:
    with pytest.raises(RegistryError, match=words) as err:
        check_url(url)
    assert "\n" not in str(err.value) and err.value.exit_code == 2
