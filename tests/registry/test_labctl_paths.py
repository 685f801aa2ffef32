"""The labctl home and the paths in it."""

from __future__ import annotations

from pathlib import Path

from labctl import paths


def test_labctl_home_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LABCTL_HOME", str(tmp_path / "elsewhere"))
    home = tmp_path / "elsewhere"
    assert paths.labctl_home() == home
    assert paths.default_registry_url() == f"sqlite:///{(home / 'registry.db').as_posix()}"
    assert paths.runs_dir() == home / "runs"
    assert paths.outbox_path() == home / "outbox.db"
    assert paths.key_path() == home / "keys" / "lab-ed25519.pem"


def test_relative_home_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LABCTL_HOME", "rel")
    assert paths.labctl_home() == tmp_path / "rel"
    assert paths.default_registry_url().startswith("sqlite:////")


def test_without_the_variable_the_platform_data_dir_is_used(monkeypatch):
    from platformdirs import user_data_path

    for value in (None, "  "):
        if value is None:
            monkeypatch.delenv("LABCTL_HOME", raising=False)
        else:
            monkeypatch.setenv("LABCTL_HOME", value)
        home = paths.labctl_home()
        assert home == user_data_path("labctl", appauthor=False).resolve()
        assert isinstance(home, Path) and home.name == "labctl"
