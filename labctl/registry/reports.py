"""What the registry service reports beyond single records: the standards due before a
date and the lab's key figures (``GET /v1/stats``)."""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import func, select

from labctl.registry.canonical import load_json
from labctl.registry.tables import records, standards

KINDS_FILE = "data/registry/mandatory-verification-kinds.yaml"


def latest_standards(registry: Any) -> list[dict[str, str]]:
    """Each (lab, register id)'s newest certificate: the one with the latest due date."""
    latest = (select(standards.c.lab, standards.c.register_id,
                     func.max(standards.c.due_date).label("due"))
              .group_by(standards.c.lab, standards.c.register_id).subquery())
    query = (select(standards).join(latest, (standards.c.lab == latest.c.lab)
                                    & (standards.c.register_id == latest.c.register_id)
                                    & (standards.c.due_date == latest.c.due))
             .order_by(standards.c.due_date, standards.c.lab, standards.c.register_id))
    with registry._read() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
    seen: set[tuple[str, str]] = set()
    out = []
    for row in rows:  # two certificates with one due date: keep one
        if (row["lab"], row["register_id"]) not in seen:
            seen.add((row["lab"], row["register_id"]))
            out.append(row)
    return out


def standards_due(registry: Any, before: date) -> list[dict[str, str]]:
    """The standards whose newest certificate is due before ``before``."""
    return [s for s in latest_standards(registry) if s["due_date"] < before.isoformat()]


def _kinds() -> dict[str, Any]:
    import yaml

    text = resources.files("labctl").joinpath(KINDS_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def stats(registry: Any, today: date) -> dict[str, Any]:
    """The lab's key figures, as of ``today``."""
    current = latest_standards(registry)
    soon = (today + timedelta(days=30)).isoformat()
    in_service = [s for s in current if s["due_date"] >= today.isoformat()]
    due_30 = [s for s in in_service if s["due_date"] < soon]
    # the document and the standards of each procedure's newest record
    with registry._read() as conn:
        newest = conn.execute(
            select(records.c.procedure_id, func.max(records.c.seq)).group_by(records.c.procedure_id)
        ).all()
        docs = {pid: load_json(conn.execute(select(records.c.document)
                                            .where(records.c.seq == seq)).scalar_one())
                for pid, seq in newest}
    good = {(s["lab"], s["register_id"]) for s in in_service}
    documents_ready: set[str] = set()
    for doc in docs.values():
        used = {(doc.get("lab"), s.get("register_id")) for s in doc.get("standards") or []}
        if used <= good:
            documents_ready.add(str(doc.get("procedure", {}).get("document", "")))
    table = _kinds()
    covered = [k["kind"] for k in table["kinds"]
               if any(d in documents_ready for d in k["documents"])]
    return {
        "as_of": today.isoformat(),
        "records": registry.count(),
        "standards": {"in_service": len(in_service), "due_within_30_days": len(due_30),
                      "expired": len(current) - len(in_service)},
        "records_by_family": registry.counts("family"),
        "records_by_procedure": registry.counts("procedure_id"),
        "records_by_decision": registry.counts("decision"),
        "mandatory_verification": {
            "kinds": len(table["kinds"]),
            "covered": len(covered),
            "share": round(len(covered) / len(table["kinds"]), 4) if table["kinds"] else None,
            "covered_kinds": covered,
            "rule": "a kind is covered when the newest record of a procedure to one of its "
                    "documents used only standards still in service",
            "source": table["source"],
        },
    }
