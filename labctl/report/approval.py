"""Who approved a record for its certificate: the one place certificates ask.

A certificate is issued only for an approved record (issue 11: a reviewer checks the
record and an approver authorises the certificate, each act an immutable signed entry).
The registries keep them (``labctl.registry.reviews``: ``labctl registry review`` and
``approve``). ``approval_of`` asks the registry for the record's approval (an object
with an ``approval(record_id)`` method) and answers None when there is none, so
``labctl certificate`` refuses (or, with ``--draft``, issues a draft with no signatory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Signatory:
    """One person who signs the certificate, from an approval entry."""

    name: str
    role: str                      # "reviewer", "approver", ... as the entry says
    time: datetime
    title: str = ""                # e.g. "technical manager"
    personal_key: str = ""         # key id of their own signature, verified; "": none


@dataclass(frozen=True)
class Approval:
    """The approval of one record: who signed, and the entries that say so."""

    record_id: str
    signatories: tuple[Signatory, ...]
    entries: tuple[str, ...] = field(default_factory=tuple)  # ids/hashes of the entries

    def __post_init__(self) -> None:
        if not self.signatories:
            raise ValueError("an approval names at least one signatory")


@runtime_checkable
class ApprovalSource(Protocol):
    """What a registry offers once review and approval entries exist."""

    def approval(self, record_id: str) -> Approval | None: ...


def approval_of(record_id: str, registry: Any, personnel: Any = None) -> Approval | None:
    """The approval of ``record_id`` in ``registry``, or None (not approved, or the
    registry keeps no approvals). The registry's ``approval(record_id)`` may answer an
    ``Approval`` or its plain form, as ``labctl.registry.reviews`` gives it:
    ``{"record_id", "signatories": [{"name", "role", "time" (ISO), "title",
    "personal_key"}], "entries"}``. ``personnel`` (the lab's personnel list), when
    given, is passed on: personal signatures are then checked against its keys.
    """
    if not isinstance(registry, ApprovalSource):
        return None
    answer = (registry.approval(record_id) if personnel is None
              else registry.approval(record_id, personnel))  # type: ignore[call-arg]
    if answer is None:
        return None
    approval = answer if isinstance(answer, Approval) else Approval(
        str(answer["record_id"]),
        tuple(Signatory(s["name"], s["role"], _time(s["time"]), s.get("title", ""),
                        s.get("personal_key", ""))
              for s in answer["signatories"]),
        tuple(answer.get("entries", ())))
    if approval.record_id != record_id:
        raise ValueError(f"the registry answered the approval of {approval.record_id} "
                         f"for record {record_id}")
    return approval


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else \
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
