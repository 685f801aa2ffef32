"""A personnel list for the review tests, and a pushed record to review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PERSONNEL = """\
lab: Municipal Metrology Institute
people:
  - id: aeng
    name: A. Engineer
    roles: [operator, reviewer]
    authorisations:
      - {procedure: "*", roles: [operator, reviewer]}
  - id: hzhou
    name: H. Zhou
    title: Senior engineer
    roles: [operator, reviewer]
    authorisations:
      - {procedure: "scale-*", roles: [operator, reviewer], from: 2020-01-01}
  - id: mchen
    name: M. Chen
    title: Technical manager
    roles: [reviewer, approver]
    authorisations:
      - {procedure: "*", roles: [reviewer, approver]}
  - id: gasonly
    name: G. Gas
    roles: [reviewer, approver]
    authorisations:
      - {procedure: "gas-*", roles: [reviewer, approver]}
"""


def personnel_file(directory: Path) -> Path:
    path = directory / "personnel.yaml"
    path.write_text(PERSONNEL, encoding="utf-8")
    return path


def push_signed(reg: Any, make_record: Any, key: Any, **overrides: Any) -> Any:
    """Sign a record linked to the lab's head and push it; returns it."""
    from labctl.registry.signing import sign_record

    record = make_record(**overrides)
    signed = sign_record(record.linked_to(reg.last_hash(record.lab)), key)
    reg.push(signed, key.public_key())
    return signed
