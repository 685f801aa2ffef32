"""Records, their canonical JSON and signatures, the outbox and the registry.

Modules: ``record`` (the pydantic record model; light), ``canonical`` (RFC 8785 and
the record hash), ``signing`` (the lab's Ed25519 key), ``tables``, ``database``,
``integrity`` and ``store`` (the SQLAlchemy registry), ``outbox`` (local durable queue
with retries), ``errors``.

Names are imported lazily, so ``from labctl.registry import Record`` does not load
SQLAlchemy or cryptography.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Record": "labctl.registry.record",
    "PointResult": "labctl.registry.record",
    "QuantityValue": "labctl.registry.record",
    "Dut": "labctl.registry.record",
    "StandardUsed": "labctl.registry.record",
    "Environment": "labctl.registry.record",
    "EnvironmentRange": "labctl.registry.record",
    "ProcedureRef": "labctl.registry.record",
    "new_record_id": "labctl.registry.record",
    "overall_decision": "labctl.registry.record",
    "canonical_json": "labctl.registry.canonical",
    "record_hash": "labctl.registry.canonical",
    "sha256_hex": "labctl.registry.canonical",
    "load_or_create_key": "labctl.registry.signing",
    "sign_record": "labctl.registry.signing",
    "verify_record": "labctl.registry.signing",
    "key_id": "labctl.registry.signing",
    "open_registry": "labctl.registry.store",
    "Registry": "labctl.registry.store",
    "PushResult": "labctl.registry.store",
    "RecordSummary": "labctl.registry.store",
    "Outbox": "labctl.registry.outbox",
    "DeliveryReport": "labctl.registry.outbox",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'labctl.registry' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
