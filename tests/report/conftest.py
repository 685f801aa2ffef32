"""Fixtures of the certificate tests: one run of the shipped simulated scale bench (as
shipped, virtual clock), and registries holding its record or variants of it."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labctl.registry.record import Record

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shipped_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The signed record document of procedures/scale-jjg539.yaml on benches/sim-scale.yaml."""
    from labctl.calibration import CalibrationRequest, calibrate

    home = tmp_path_factory.mktemp("cert-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABCTL_HOME", str(home))
        result = calibrate(CalibrationRequest(ROOT / "procedures" / "scale-jjg539.yaml",
                                              ROOT / "benches" / "sim-scale.yaml"))
    return json.loads(json.dumps(result.record.document()))


@pytest.fixture
def record_doc(shipped_run: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of the shipped run's signed record document, to change at will."""
    return copy.deepcopy(shipped_run)


@pytest.fixture
def store(tmp_path: Path) -> Callable[..., tuple[str, Record]]:
    """``store(doc)``: sign ``doc`` (its chain members reset) with a fresh lab key, push it
    to a new SQLite registry, and give (registry URL, stored record)."""
    from labctl.registry.signing import sign_record
    from labctl.registry.store import open_registry

    def make(doc: dict[str, Any], name: str = "registry") -> tuple[str, Record]:
        key = Ed25519PrivateKey.generate()
        data = {k: v for k, v in doc.items() if k not in ("previous", "hash", "signature",
                                                           "key_id")}
        record = sign_record(Record.model_validate(data).linked_to(None), key)
        url = f"sqlite:///{(tmp_path / f'{name}.db').as_posix()}"
        with open_registry(url) as registry:
            registry.push(record, key.public_key())
        return url, record

    return make


class ApprovingRegistry:
    """A registry that keeps approvals, as the registry will once review and approval
    entries exist: ``approval_of`` finds its ``approval`` method."""

    def __init__(self, registry: Any, approval: Any):
        self._registry = registry
        self._approval = approval

    def __getattr__(self, name: str) -> Any:
        return getattr(self._registry, name)

    def approval(self, record_id: str) -> Any:
        return self._approval if self._approval.record_id == record_id else None


@pytest.fixture
def approved() -> Callable[[Any, str], ApprovingRegistry]:
    """``approved(registry, record_id)``: the registry, with the record approved by a
    reviewer (H. Zhou) and an approver (M. Chen, technical manager)."""
    from datetime import UTC, datetime

    from labctl.report.approval import Approval, Signatory

    def wrap(registry: Any, record_id: str) -> ApprovingRegistry:
        t = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
        approval = Approval(record_id, (Signatory("H. Zhou", "reviewer", t),
                                        Signatory("M. Chen", "approver", t,
                                                  "technical manager")))
        return ApprovingRegistry(registry, approval)

    return wrap


@pytest.fixture
def pdf_ready() -> None:
    """WeasyPrint and a font with Chinese characters (``labctl certificate --pdf``
    refuses without one): skips without them, but under CI=true, where .ci/run installs
    both, a missing font fails."""
    from labctl.report.fonts import FONT_ADVICE, uncovered
    from labctl.report.pdf import weasyprint_problem

    problem = weasyprint_problem()
    if problem:
        pytest.skip(f"no PDF here: {problem}")
    if uncovered("检定证书校准"):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs a font with Chinese characters: {FONT_ADVICE}")
        pytest.skip(f"no font with Chinese characters here: {FONT_ADVICE}")
