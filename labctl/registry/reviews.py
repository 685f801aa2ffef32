"""Review and approval of records in a registry (issue 11; ISO/IEC 17025 6.2, 7.8.1.2).

A record is made by the bench (its operator). A reviewer of the lab's personnel list,
authorised for the record's procedure and not its operator, reviews it: approved or
rejected, with a reason. After a positive review an approver (authorised likewise, not
the operator) approves it; only then may a certificate be issued. Each act is an
immutable signed entry (``labctl.registry.review_entry``) in ``labctl_reviews``, chained
per lab; a record has at most one review and one approval (a rejected record is
corrected by a new record that supersedes it, which is reviewed in turn).

``ReviewBook`` is mixed into ``labctl.registry.store.Registry``; the service client has
the same methods over HTTP (``labctl.registry.client_reviews``).

Status of a record: ``unreviewed`` (no entry), ``rejected`` (its review rejected it),
``reviewed`` (reviewed positively, not approved yet), ``approved``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import and_, insert, select
from sqlalchemy.exc import IntegrityError

from labctl.registry.canonical import canonical_json, hashed_part, load_json
from labctl.registry.errors import RegistryConflict, RegistryError
from labctl.registry.review_entry import (
    ROLE_OF_ACT,
    SCHEMA,
    act_statement,
    entry_hashed,
    person_signature_problems,
    sign_entry,
    statement_of_entry,
    verify_entry,
)
from labctl.registry.row_findings import (
    KeyFacts,
    RowFindings,
    SignatureCheck,
    chain_findings,
    signer_key,
    worker_checkable,
)
from labctl.registry.signing import signed_hash_problems
from labctl.registry.tables import chain_end, records, reviews

STATUSES = ("unreviewed", "reviewed", "rejected", "approved")
#: The columns of a review row copied out of its document.
_COLUMNS = (("id", "id"), ("lab", "lab"), ("hash", "hash"), ("key_id", "key_id"),
            ("record_id", "record_id"), ("act", "act"), ("decision", "decision"),
            ("time", "time"))


class ReviewRefused(RegistryError):
    """A review or approval that the rules refuse (who, in which order, of what)."""


class PersonSignatureRefused(ReviewRefused):
    """An act whose personal signature is missing (the person has a key in the
    personnel list), bad, or cannot be checked (the person has none)."""


@dataclass(frozen=True)
class ReviewStatus:
    """Where a record stands, with its entries (documents, in order)."""

    record_id: str
    status: str
    entries: tuple[dict[str, Any], ...] = ()

    def describe(self) -> str:
        """What was done and what is missing, in words."""
        review = next((e for e in self.entries if e["act"] == "review"), None)
        approval = next((e for e in self.entries if e["act"] == "approval"), None)
        if review is None:
            return ("not reviewed: it needs a reviewer's positive review, then an "
                    "approver's approval")
        who = f"{review['person']['name']} on {review['time'][:10]}"
        if review["decision"] == "rejected":
            return (f"rejected by {who} ({review['reason']}); a correction (a new record "
                    "that supersedes it) must be reviewed instead")
        if approval is None:
            return f"reviewed by {who}, not yet approved: it needs an approver's approval"
        return (f"reviewed by {who}, approved by {approval['person']['name']} on "
                f"{approval['time'][:10]}")


def status_of_entries(entries: Iterable[Mapping[str, Any]]) -> str:
    acts = {(e["act"], e["decision"]) for e in entries}
    if ("approval", "approved") in acts:
        return "approved"
    if ("review", "rejected") in acts:
        return "rejected"
    if ("review", "approved") in acts:
        return "reviewed"
    return "unreviewed"


def status_clause(status: str) -> Any:
    """A WHERE clause on ``labctl_records`` keeping the records of ``status``."""
    def ids(*conditions: Any) -> Any:
        return select(reviews.c.record_id).where(*conditions)

    approved = ids(reviews.c.act == "approval")
    if status == "approved":
        return records.c.id.in_(approved)
    if status == "rejected":
        return records.c.id.in_(ids(reviews.c.act == "review",
                                    reviews.c.decision == "rejected"))
    if status == "reviewed":
        return and_(records.c.id.in_(ids(reviews.c.act == "review",
                                         reviews.c.decision == "approved")),
                    records.c.id.not_in(approved))
    if status == "unreviewed":
        return records.c.id.not_in(select(reviews.c.record_id))
    raise RegistryError(f"unknown review status {status!r}", hint=f"one of {', '.join(STATUSES)}")


def approval_of_status(status: ReviewStatus, document: Any, public_key: Any,
                       no_key: str, personnel: Any = None) -> dict[str, Any] | None:
    """The approval of an approved record from its review ``status``: the signatories
    (reviewer and approver) and the entry ids, each entry verified first under
    ``public_key(key_id)`` and required to name the record's current hash
    (``document(id)["hash"]``), else ``RegistryError``; None when not approved.
    ``no_key`` says why a key is missing (the store's or the service's words).

    A signatory's ``personal_key`` is the key id of their personal signature when the
    entry carries one and it verifies (under the key it carries, which must be the
    person's key in ``personnel`` when a list is given), "" when the entry has none; a
    personal signature that does not verify is a ``RegistryError`` like any other."""
    if status.status != "approved":
        return None
    doc = document(status.record_id)
    signatories = []
    for entry in status.entries:
        key = public_key(str(entry.get("key_id")))
        problems = [no_key] if key is None else verify_entry(entry, key)
        if entry.get("record_hash") != doc.get("hash"):
            problems.append("it names another content of the record (record_hash)")
        personal = entry.get("person_signature")
        problems += personal_problems(entry, personnel)
        if problems:
            raise RegistryError(f"{entry['act']} entry {str(entry['id'])[:8]} of record "
                                f"{status.record_id} does not verify: {'; '.join(problems)}",
                                hint="see labctl registry verify")
        signatories.append({"name": entry["person"]["name"], "role": entry["role"],
                            "time": entry["time"], "title": entry["person"].get("title", ""),
                            "personal_key": personal["key_id"] if personal else ""})
    return {"record_id": status.record_id, "signatories": signatories,
            "entries": [str(e["id"]) for e in status.entries]}


def personal_problems(entry: Mapping[str, Any], personnel: Any) -> list[str]:
    """What is wrong with an entry's personal signature as stored: a signature that does
    not verify under the key it carries; with a personnel list, a key that is not the
    person's there, and a signature missing where the list the entry was checked against
    (same ``personnel_sha256``) gives the person a key, so labctl would have refused it."""
    person = entry.get("person") or {}
    pid = str(person.get("id"))
    signature = entry.get("person_signature")
    expected = personnel.public_key_of(pid) if personnel is not None else None
    if signature is None:
        if expected is not None and entry.get("personnel_sha256") == personnel.sha256:
            return [f"no personal signature of {person.get('name')} ({pid}), although the "
                    f"personnel list it was checked against ({personnel.path}, same sha256) "
                    "gives them a key: labctl refuses such an act, so the entry was not made "
                    "through it"]
        return []
    if personnel is not None and expected is None:
        return [f"carries a personal signature of {person.get('name')} ({pid}), but the "
                f"personnel list {personnel.path} gives them no public key to check it"]
    return person_signature_problems(signature, statement_of_entry(entry), expected)


def check_person_signature(personnel: Any, who: Any, statement: Mapping[str, str],
                           signature: Mapping[str, str] | None, where: str) -> None:
    """Refuse (``PersonSignatureRefused``) an act whose personal signature the personnel
    list asks for and is missing or bad, or which carries one the list cannot check."""
    expected = personnel.public_key_of(who.id)
    place = personnel.place_of(who.id)
    if expected is None:
        if signature is not None:
            raise PersonSignatureRefused(
                f"the act carries a personal signature of {who.name} ({who.id}), but the "
                "personnel list gives no public key for them, so it cannot be checked",
                where=place, hint="add their public_key line (labctl registry key person "
                f"{who.id} prints it) to the list, or act without their key")
        return
    if signature is None:
        raise PersonSignatureRefused(
            f"{who.name} ({who.id}) has a public key in the personnel list, so their "
            "acts must carry their personal signature, and this one carries none",
            where=where, hint=f"act from the machine whose labctl home holds their key "
            f"(labctl registry key person {who.id}), with --as {who.id}")
    problems = person_signature_problems(signature, statement, expected)
    if problems:
        raise PersonSignatureRefused(f"the personal signature of {who.name} ({who.id}) "
                                     f"does not verify: {'; '.join(problems)}", where=where,
                                     hint=f"the key in the personnel list ({place}) must be "
                                     "the one in their labctl home")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _same_person(person: Any, names: Iterable[str]) -> bool:
    wanted = {" ".join(str(n).split()).casefold() for n in names if n}
    return person.id in wanted or " ".join(person.name.split()).casefold() in wanted


class ReviewBook:
    """Review and approval methods of a ``Registry`` (see the module doc)."""

    # -- acts ---------------------------------------------------------------------------

    def review(self, record_id: str, *, approve: bool, reason: str, person: str,
               personnel: Any, key: Ed25519PrivateKey, now: str | None = None,
               person_signature: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Record ``person``'s review of the record (``approve``: positive). Refused
        (``ReviewRefused``) when the person is not authorised as reviewer for the
        record's procedure, is its operator, or the record is already reviewed, is
        superseded, or does not verify; ``PersonSignatureRefused`` when the personnel
        list gives the person a key and ``person_signature`` (``sign_act`` of the act's
        ``act_statement``) is missing or bad, or it gives none and a signature is given.
        Returns the signed entry."""
        if not approve and not reason.strip():
            raise ReviewRefused("a rejection needs a reason", hint="give --reason TEXT")
        return self._act("review", record_id, "approved" if approve else "rejected",
                         reason, person, personnel, key, now, person_signature)

    def approve(self, record_id: str, *, person: str, personnel: Any,
                key: Ed25519PrivateKey, reason: str = "", now: str | None = None,
                person_signature: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Record ``person``'s approval of a positively reviewed record; refused as
        ``review`` is, and when the record has no positive review or is approved."""
        return self._act("approval", record_id, "approved", reason, person, personnel,
                         key, now, person_signature)

    def _act(self, act: str, record_id: str, decision: str, reason: str, person_ref: str,
             personnel: Any, key: Ed25519PrivateKey, now: str | None,
             person_signature: Mapping[str, str] | None = None) -> dict[str, Any]:
        if personnel is None:
            raise ReviewRefused("no personnel list: reviewers and approvers must be people "
                                "of the lab's list", hint="give --personnel FILE (or set "
                                "LABCTL_PERSONNEL); see docs/registry.md")
        if len(reason) > 2000:
            raise ReviewRefused("the reason is longer than 2000 characters")
        doc = self.document(record_id)  # type: ignore[attr-defined]
        full = str(doc["id"])
        where = f"record {full}"
        role = ROLE_OF_ACT[act]
        time = now or _now()
        procedure = str((doc.get("procedure") or {}).get("id", ""))
        who = personnel.authorise(person_ref, role, procedure, date.fromisoformat(time[:10]))
        statement = act_statement(str(doc["lab"]), act, full, str(doc["hash"]), decision,
                                  reason, who.id)
        check_person_signature(personnel, who, statement, person_signature, where)
        operators = [doc.get("operator"), *(doc.get("operators") or [])]
        if _same_person(who, operators):
            raise ReviewRefused(f"{who.name} ({who.id}) is the operator of this record and "
                                f"cannot {'review' if act == 'review' else 'approve'} it",
                                where=where, hint="another person of the list must")
        problems = self.verify(full)  # type: ignore[attr-defined]
        if problems:
            raise ReviewRefused(f"the record does not verify: {'; '.join(problems)}",
                                where=where, hint="a record that fails its check is not "
                                "reviewed; see labctl registry verify")
        later = self.superseded_by(full)  # type: ignore[attr-defined]
        if later:
            raise ReviewRefused(f"is superseded by record {later[0]}", where=where,
                                hint="review the correction instead")
        status = self.review_status(full)
        self._check_order(act, status, where)
        self.register_key(key.public_key())  # type: ignore[attr-defined]
        entry = {
            "schema": SCHEMA, "id": str(uuid.uuid4()), "lab": doc["lab"], "act": act,
            "record_id": full, "record_hash": doc["hash"], "procedure": procedure,
            "decision": decision, "reason": " ".join(reason.split()),
            "person": who.to_dict(), "role": role, "time": time,
            "personnel_sha256": personnel.sha256,
        }
        if person_signature is not None:
            entry["person_signature"] = dict(person_signature)
        for _attempt in range(5):
            try:
                with self._write() as conn:  # type: ignore[attr-defined]
                    head = conn.execute(
                        select(reviews.c.hash).where(reviews.c.lab == doc["lab"])
                        .order_by(reviews.c.seq.desc()).limit(1)).scalar_one_or_none()
                    signed = sign_entry({**entry, "previous": head}, key)
                    conn.execute(insert(reviews).values(
                        id=signed["id"], lab=signed["lab"], link=head or "",
                        hash=signed["hash"], key_id=signed["key_id"], record_id=full,
                        act=act, decision=decision, person_id=who.id, time=time,
                        document=canonical_json(signed).decode("utf-8")))
                return signed
            except IntegrityError:
                # someone acted on this record first (refused below), or another entry of
                # the lab took this place in the chain (link again)
                self._check_order(act, self.review_status(full), where)
        raise RegistryConflict("the lab's review chain kept moving; try again", where=where)

    @staticmethod
    def _check_order(act: str, status: ReviewStatus, where: str) -> None:
        if act == "review" and status.status != "unreviewed":
            raise ReviewRefused(f"is already reviewed: {status.describe()}", where=where,
                                hint="a record is reviewed once; correct it with a new "
                                "record that supersedes it")
        if act == "approval" and status.status != "reviewed":
            what = ("is already approved" if status.status == "approved"
                    else f"cannot be approved: {status.describe()}")
            raise ReviewRefused(what, where=where,
                                hint="approval comes after a reviewer's positive review")

    # -- reading ------------------------------------------------------------------------

    def review_entries(self, record_id: str) -> list[dict[str, Any]]:
        """The record's entries (documents as stored), in the order they were made."""
        full = self.resolve(record_id)  # type: ignore[attr-defined]
        with self._read() as conn:  # type: ignore[attr-defined]
            texts = conn.execute(select(reviews.c.document).where(reviews.c.record_id == full)
                                 .order_by(reviews.c.seq)).scalars()
            return [load_json(t) for t in texts]

    def review_status(self, record_id: str) -> ReviewStatus:
        full = self.resolve(record_id)  # type: ignore[attr-defined]
        entries = self.review_entries(full)
        return ReviewStatus(full, status_of_entries(entries), tuple(entries))

    def review_statuses(self, record_ids: list[str]) -> dict[str, str]:
        """The status of each of ``record_ids`` (one query)."""
        found: dict[str, list[dict[str, str]]] = {i: [] for i in record_ids}
        if record_ids:
            with self._read() as conn:  # type: ignore[attr-defined]
                for rid, act, decision in conn.execute(
                        select(reviews.c.record_id, reviews.c.act, reviews.c.decision)
                        .where(reviews.c.record_id.in_(record_ids))):
                    found[rid].append({"act": act, "decision": decision})
        return {rid: status_of_entries(entries) for rid, entries in found.items()}

    def approval(self, record_id: str, personnel: Any = None) -> dict[str, Any] | None:
        """The record's approval: ``{"record_id", "signatories": [{"name", "role",
        "time", "title", "personal_key"}], "entries": [ids]}`` (the reviewer and the
        approver), or None when it is not approved (``labctl.report.approval.approval_of``
        reads it). The entries are checked first: each must verify under its key, name
        the record's current hash and carry a good personal signature if any (checked
        against ``personnel`` when given), else ``RegistryError``."""
        return approval_of_status(self.review_status(record_id), self.document,  # type: ignore[attr-defined]
                                  self.public_key,  # type: ignore[attr-defined]
                                  "its key is not in this registry", personnel)

    # -- the chain of entries -----------------------------------------------------------

    def review_labs(self) -> list[str]:
        with self._read() as conn:  # type: ignore[attr-defined]
            return list(conn.execute(select(reviews.c.lab).distinct().order_by(reviews.c.lab))
                        .scalars())

    def has_entry(self, lab: str, record_id: str, entry_hash: str) -> bool:
        """True when an entry of ``lab`` about ``record_id`` with this hash is stored
        (entry checkpoints use it)."""
        with self._read() as conn:  # type: ignore[attr-defined]
            return conn.execute(
                select(reviews.c.seq).where(reviews.c.hash == entry_hash,
                                            reviews.c.lab == lab,
                                            reviews.c.record_id == record_id)
            ).first() is not None

    def entry_chain_head(self, lab: str) -> tuple[str, str, str, int] | None:
        """The id, record id and hash of the lab's last review or approval entry here,
        and how many entries the lab has, read together (None: it has none)."""
        with self._read() as conn:  # type: ignore[attr-defined]
            end = chain_end(conn, reviews, lab, "id", "record_id", "hash")
        if end is None:
            return None
        (entry_id, record_id, entry_hash), count = end
        return str(entry_id), str(record_id), str(entry_hash), count

    def review_chain_rows(self, lab: str, after_seq: int = 0,
                          limit: int = 500) -> list[dict[str, Any]]:
        """A lab's review rows as stored, every column, in chain order after ``after_seq``."""
        query = (select(reviews).where(reviews.c.lab == lab, reviews.c.seq > after_seq)
                 .order_by(reviews.c.seq).limit(limit))
        with self._read() as conn:  # type: ignore[attr-defined]
            return [dict(row._mapping) for row in conn.execute(query)]

    def record_hashes(self, record_ids: list[str]) -> dict[str, dict[str, Any]]:
        """id -> the stored record's hash, operator(s) (for the review chain's check)."""
        out: dict[str, dict[str, Any]] = {}
        with self._read() as conn:  # type: ignore[attr-defined]
            for rid, text in conn.execute(select(records.c.id, records.c.document)
                                          .where(records.c.id.in_(record_ids))):
                doc = load_json(text)
                out[rid] = {"hash": doc.get("hash"),
                            "operators": [doc.get("operator"), *(doc.get("operators") or [])]}
        return out

    def verify_reviews(self, lab: str,
                       trusted: Mapping[str, Ed25519PublicKey] | None = None,
                       personnel: Any = None) -> list[str]:
        """Problems with a lab's review entries (see ``review_chain_problems``)."""
        rows = []
        after = 0
        while True:
            page = self.review_chain_rows(lab, after, 1000)
            rows.extend(page)
            if len(page) < 1000:
                break
            after = page[-1]["seq"]
        known = {} if trusted is not None else {
            kid: self.public_key(kid)  # type: ignore[attr-defined]
            for kid in {r["key_id"] for r in rows}}
        stored = self.record_hashes(sorted({r["record_id"] for r in rows}))
        return review_chain_problems(lab, rows, stored, known, trusted, personnel)


def review_chain_problems(lab: str, rows: list[Mapping[str, Any]],
                          stored: Mapping[str, Mapping[str, Any]],
                          known: Mapping[str, Ed25519PublicKey | None],
                          trusted: Mapping[str, Ed25519PublicKey] | None,
                          personnel: Any = None) -> list[str]:
    """Every problem of a lab's review entries, from their rows in chain order: a column
    that differs from the entry (the row was edited), a stored JSON not canonical, a hash
    that does not match (the entry was edited), a bad signature, a key not trusted, a
    broken link (an entry removed, or inserted out of chain), an entry naming a record
    that is not stored or whose hash changed, an approval without a positive review
    before it, a review by the record's own operator, and a personal signature that does
    not verify (with ``personnel``, the personnel list: not under the person's key, or
    missing where that list asks for one; see ``personal_problems``)."""
    return chain_findings(_entry_rows(lab, rows, stored, known, trusted, personnel))


def _entry_rows(lab: str, rows: list[Mapping[str, Any]],
                stored: Mapping[str, Mapping[str, Any]],
                known: Mapping[str, Ed25519PublicKey | None],
                trusted: Mapping[str, Ed25519PublicKey] | None,
                personnel: Any) -> Iterator[RowFindings]:
    """Each review row's findings, as the chain is read."""
    keys = KeyFacts()
    expected: str | None = None
    reviewed: dict[str, str] = {}
    for row in rows:
        findings = RowFindings(f"lab {lab!r}, review entry {str(row['id'])[:8]} "
                               f"(#{row['seq']}, {row['act']} of record "
                               f"{str(row['record_id'])[:8]})")
        doc = _entry_document(row, findings.before)
        if doc is None:
            expected = row["hash"]
        else:
            _check_entry(findings, row, doc, known, trusted, keys)
            found = findings.after
            person = doc.get("person") or {}
            found += personal_problems(doc, personnel)
            kid = str(doc.get("key_id"))
            revoked = getattr(trusted, "revoked_for", None)
            why = revoked(kid, str(doc.get("time"))) if revoked is not None else None
            if why:
                found.append(why)
            previous = doc.get("previous")
            if previous != expected:
                found.append(f"broken link: previous is {_short(previous)} but the entry "
                             f"before it in the chain has hash {_short(expected)} (an entry "
                             "was removed, or this one inserted out of chain)")
            expected = doc.get("hash") or row["hash"]
            record = stored.get(str(doc.get("record_id")))
            if record is None:
                found.append(f"names record {doc.get('record_id')}, which is not in this "
                             "registry")
            else:
                if record["hash"] != doc.get("record_hash"):
                    found.append(f"names record hash {_short(doc.get('record_hash'))} but "
                                 f"the stored record has hash {_short(record['hash'])}")
                if _same_person(_Who(person), record["operators"]):
                    found.append(f"{person.get('name')} is the record's operator and may "
                                 f"not {doc.get('act')} it")
            rid = str(doc.get("record_id"))
            if doc.get("act") == "review":
                reviewed[rid] = str(doc.get("decision"))
            elif doc.get("act") == "approval" and reviewed.get(rid) != "approved":
                found.append("approval without a positive review before it")
        yield findings


def _entry_document(row: Mapping[str, Any], found: list[str]) -> dict[str, Any] | None:
    """A review row's document, None (and why, in ``found``) when it is not an object."""
    try:
        doc = load_json(row["document"])
    except ValueError as err:
        found.append(f"stored JSON is unreadable: {err}")
        return None
    if not isinstance(doc, dict):
        found.append("stored JSON is not an object")
        return None
    return doc


def _check_entry(findings: RowFindings, row: Mapping[str, Any], doc: dict[str, Any],
                 known: Mapping[str, Ed25519PublicKey | None],
                 trusted: Mapping[str, Ed25519PublicKey] | None, keys: KeyFacts) -> None:
    """Put in ``findings.before`` what is wrong with a review row's columns, canonical
    form and key, and its hash and signature check, when it is one for the workers, in
    ``findings.signature`` (else what the check finds in ``findings.before``)."""
    found = findings.before
    for column, name in _COLUMNS:
        if row[column] != doc.get(name):
            found.append(f"column {column} ({row[column]}) differs from the entry's {name} "
                         f"({doc.get(name)}): the row was edited")
    person = doc.get("person") or {}
    if row["person_id"] != person.get("id"):
        found.append(f"column person_id ({row['person_id']}) differs from the entry's "
                     f"person.id ({person.get('id')}): the row was edited")
    if row["link"] != (doc.get("previous") or ""):
        found.append("column link differs from the entry's previous")
    whole = None
    try:
        whole = canonical_json(doc)
        if whole.decode("utf-8") != row["document"]:
            found.append("stored JSON is not in canonical form (edited outside labctl?)")
    except Exception as err:  # noqa: BLE001 - NaN and the like written into the row
        found.append(f"stored JSON has no canonical form: {err}")
    kid = str(doc.get("key_id"))
    key = signer_key(doc, known, trusted)
    if key is None:
        found.append(f"signed by key {kid}, which is not a trusted key of the lab"
                     if trusted is not None else f"key {kid} is not in this registry")
        return
    raw, key_kid = keys.of(key)
    if worker_checkable(doc, key_kid):
        hashed = (hashed_part(whole, doc) if whole is not None else None) or entry_hashed(doc)
        findings.signature = SignatureCheck(doc, key, hashed, raw, _entry_problems)
    else:
        found += verify_entry(doc, key)


def _entry_problems(doc: Mapping[str, Any], key: Ed25519PublicKey, computed: str) -> list[str]:
    """``verify_entry``'s problems of an entry whose content hashes to ``computed``."""
    return signed_hash_problems(doc, lambda: computed, key, changed="the entry")


@dataclass(frozen=True)
class _Who:
    raw: Mapping[str, Any]

    @property
    def id(self) -> str:
        return str(self.raw.get("id", ""))

    @property
    def name(self) -> str:
        return str(self.raw.get("name", ""))


def _short(value: Any) -> str:
    return "none (first entry)" if value is None else str(value)[:12]
