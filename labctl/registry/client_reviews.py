"""Review and approval through the registry service (``labctl.registry.service_reviews``),
mixed into ``HttpRegistry``: the same methods as ``labctl.registry.reviews.ReviewBook``.
The service checks the person (its reviewer token's) against its personnel list and signs
the entry; verification is done here, with this machine's trust anchor."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from labctl.registry.reviews import ReviewStatus, approval_of_status, review_chain_problems


class ReviewClient:
    """Review methods of ``HttpRegistry``."""

    def _path(self, record_id: str, tail: str) -> str:
        return f"/v1/records/{quote(record_id.strip(), safe='')}/{tail}"

    def review(self, record_id: str, *, approve: bool, reason: str, person: str,
               personnel: Any = None, key: Any = None, now: str | None = None,
               person_signature: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Post a review as the token's person (``person`` must name them), with their
        personal signature when given."""
        body: dict[str, Any] = {"decision": "approve" if approve else "reject",
                                "reason": reason, "as": person}
        if person_signature is not None:
            body["person_signature"] = dict(person_signature)
        answer = self._request("POST", self._path(record_id, "review"),  # type: ignore[attr-defined]
                               json=body)
        return dict(answer["entry"])

    def approve(self, record_id: str, *, person: str, personnel: Any = None, key: Any = None,
                reason: str = "", now: str | None = None,
                person_signature: Mapping[str, str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"reason": reason, "as": person}
        if person_signature is not None:
            body["person_signature"] = dict(person_signature)
        answer = self._request("POST", self._path(record_id, "approval"),  # type: ignore[attr-defined]
                               json=body)
        return dict(answer["entry"])

    def review_status(self, record_id: str) -> ReviewStatus:
        answer = self._request("GET", self._path(record_id, "reviews"))  # type: ignore[attr-defined]
        return ReviewStatus(answer["record_id"], answer["status"], tuple(answer["entries"]))

    def review_entries(self, record_id: str) -> list[dict[str, Any]]:
        return list(self.review_status(record_id).entries)

    def review_statuses(self, record_ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(record_ids), 200):
            answer = self._request("GET", "/v1/reviews/status",  # type: ignore[attr-defined]
                                   params=[("id", rid) for rid in record_ids[i:i + 200]])
            out.update(answer["statuses"])
        return out

    def approval(self, record_id: str, personnel: Any = None) -> dict[str, Any] | None:
        """As ``ReviewBook.approval``; the entries are verified here under the keys the
        service publishes (and must name the record's current hash)."""
        return approval_of_status(self.review_status(record_id), self.document,  # type: ignore[attr-defined]
                                  self.public_key,  # type: ignore[attr-defined]
                                  "its key is not published by the service", personnel)

    def has_entry(self, lab: str, record_id: str, entry_hash: str) -> bool:
        """True when the service holds an entry of ``lab`` about ``record_id`` with this
        hash (a record that is not there has no entries)."""
        from labctl.registry.errors import RecordNotFound

        try:
            entries = self.review_entries(record_id)
        except RecordNotFound:
            return False
        return any(e.get("hash") == entry_hash and e.get("lab") == lab for e in entries)

    def entry_chain_head(self, lab: str) -> tuple[str, str, str, int] | None:
        """As ``ReviewBook.entry_chain_head`` (None also from a service too old to say
        the heads: it answers 404)."""
        from labctl.registry.errors import RecordNotFound

        try:
            heads = self._request("GET", "/v1/reviews/heads")["heads"]  # type: ignore[attr-defined]
        except RecordNotFound:
            return None
        head = next((h for h in heads if h["lab"] == lab), None)
        if head is None:
            return None
        return (str(head["head_id"]), str(head["record_id"]), str(head["head"]),
                int(head["count"]))

    def review_labs(self) -> list[str]:
        return list(self._request("GET", "/v1/reviews/labs")["labs"])  # type: ignore[attr-defined]

    def verify_reviews(self, lab: str,
                       trusted: Mapping[str, Ed25519PublicKey] | None = None,
                       personnel: Any = None) -> list[str]:
        rows: list[dict[str, Any]] = []
        stored: dict[str, Any] = {}
        after = 0
        while True:
            answer = self._request("GET", "/v1/reviews/chain",  # type: ignore[attr-defined]
                                   params={"lab": lab, "after": after, "limit": 1000})
            rows.extend(answer["rows"])
            stored.update(answer["records"])
            if not answer.get("next_after"):
                break
            after = answer["next_after"]
        known: dict[str, Any] = {}
        if trusted is None:
            keys = self._request("GET", "/v1/keys")  # type: ignore[attr-defined]
            for kid, text in {**keys["stored"], **(keys.get("service") or {})}.items():
                known[kid] = Ed25519PublicKey.from_public_bytes(base64.b64decode(text))
        return review_chain_problems(lab, rows, stored, known, trusted, personnel)
