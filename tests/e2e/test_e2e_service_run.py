"""``labctl run --registry http://...``: with the service down the run still succeeds and
says the record is queued; ``registry deliver`` brings it once the service is up."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from e2e_support import ROOT

from labctl.cli import main

pytestmark = pytest.mark.realtime


def _support():  # noqa: ANN202 - a module
    path = Path(__file__).resolve().parents[1] / "registry" / "service_support.py"
    spec = importlib.util.spec_from_file_location("labctl_tests_service_support", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_with_the_service_down_queues_then_delivers(tmp_path, monkeypatch, capsys):
    support = _support()
    db = f"sqlite:///{(tmp_path / 'service.db').as_posix()}"
    service = support.Service(db)
    token = support.make_tokens(db)["bench"]
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", token)

    assert main(["run", "procedures/scale-jjg539.yaml", "--bench", "benches/sim-scale.yaml",
                 "--registry", service.url, "-q"]) == 0
    out = capsys.readouterr().out
    assert "queued in the outbox" in out and "cannot reach the registry service" in out
    assert token not in out

    service.start()
    try:
        assert main(["registry", "deliver", "--registry", service.url]) == 0
        assert "1 record delivered" in capsys.readouterr().out
        assert main(["registry", "verify", "--registry", service.url]) == 0
        assert "1 record; chain, hashes and signatures good" in capsys.readouterr().out
    finally:
        service.stop()
