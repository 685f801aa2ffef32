"""The reference standards a registry's records used: one row per (lab, register id,
certificate), kept as records arrive, for the standards due and the lab's key figures."""

from __future__ import annotations

from typing import Any


def standard_rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The rows of ``labctl_standards`` a record document brings (new or not)."""
    out = []
    lab = str(doc.get("lab", ""))
    for s in doc.get("standards") or []:
        if not isinstance(s, dict) or not s.get("register_id") or not s.get("certificate"):
            continue
        out.append({
            "lab": lab, "register_id": str(s["register_id"]),
            "certificate": str(s["certificate"]), "description": str(s.get("description", "")),
            "calibration_date": str(s.get("calibration_date", "")),
            "due_date": str(s.get("due_date", "")), "first_record": str(doc.get("id", "")),
        })
    return out
