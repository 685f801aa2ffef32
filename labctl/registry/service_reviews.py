"""The review and approval endpoints of the registry service (``labctl.registry.service``).

``POST /v1/records/{id}/review`` (``{"decision": "approve"|"reject", "reason": ...}``) and
``POST /v1/records/{id}/approval`` (``{"reason": ...}``) need a reviewer token made for a
person of the personnel list (``labctl registry token create --role reviewer --person
ID``): the entry names that person, and the service checks them against its personnel
list (``registry serve --personnel FILE``) and signs the entry with its key (``--key
FILE``, the lab key of the service's labctl home by default). ``"as"`` in the body, when
given, must name the same person. ``"person_signature"`` in the body is the person's own
signature of the act (``labctl.registry.review_entry.sign_act``): required when the
personnel list gives the person a public key (403 ``person_signature`` when missing or
bad), refused when it gives none. Reading: ``GET /v1/records/{id}/reviews``,
``GET /v1/reviews/status?id=...``, ``GET /v1/reviews/labs``, ``GET /v1/reviews/chain``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Query, Request

from labctl.personnel import NotAuthorised
from labctl.registry.reviews import PersonSignatureRefused, ReviewRefused

MAX_REVIEW_BODY = 16 * 1024
MAX_STATUS_IDS = 200


def add_review_routes(app: FastAPI, registry: Any, *, needs: Callable[[str], Any],
                      token_of: Callable[[Request], Any], call: Callable[..., Any],
                      api_error: type[Exception], read_body: Callable[..., Any],
                      control: Any, personnel: Any, key: Any) -> None:
    """Add the endpoints to ``app`` (arguments: the service's own helpers)."""

    def fail(status: int, kind: str, message: str) -> Exception:
        return api_error(status, kind, message)  # type: ignore[call-arg]

    async def body_of(request: Request, fields: dict[str, type]) -> dict[str, Any]:
        raw = await read_body(request, MAX_REVIEW_BODY)
        try:
            data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise fail(400, "malformed", "the body is not JSON (UTF-8)") from None
        if not isinstance(data, dict) or set(data) - set(fields):
            raise fail(400, "malformed", f"the body is an object with {', '.join(fields)}")
        for name, kind in fields.items():
            value = data.get(name)
            if value is not None and not isinstance(value, kind):
                raise fail(422, "invalid", f"{name}: expected {kind.__name__}")
            if isinstance(value, str) and (len(value) > 2000 or control.search(value)):
                raise fail(422, "invalid", f"{name}: at most 2000 characters, no control "
                           "characters")
        signature = data.get("person_signature")
        if signature is not None and (
                set(signature) != {"key_id", "public_key", "signature"}
                or not all(isinstance(v, str) and len(v) <= 200 for v in signature.values())):
            raise fail(422, "invalid", "person_signature: an object with key_id, public_key "
                       "and signature (text)")
        return data

    def person_of(request: Request, named: str | None) -> str:
        info = token_of(request)
        if not info.person:
            raise fail(403, "forbidden", "this reviewer token names no person: make one with "
                       "labctl registry token create --role reviewer --person ID")
        if named is not None and personnel is not None:
            found = personnel.find(named)
            if found is None or found.id != info.person:
                raise fail(403, "forbidden", f"this token acts as {info.person}, not as "
                           f"{named}")
        return str(info.person)

    def act(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return call(refused(fn), *args, **kwargs)

    def answer(entry: dict[str, Any]) -> dict[str, Any]:
        status = call(registry.review_status, entry["record_id"])
        return {"entry": entry, "status": status.status, "describe": status.describe()}

    def refused(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except NotAuthorised as err:
                raise fail(403, "not_authorised", err.message) from err
            except PersonSignatureRefused as err:
                message = f"{err.message} ({err.hint})" if err.hint else err.message
                raise fail(403, "person_signature", message) from err
            except ReviewRefused as err:
                message = f"{err.message} ({err.hint})" if err.hint else err.message
                raise fail(409, "refused", message) from err
        return wrapped

    @app.post("/v1/records/{record_id}/review", tags=["review"], status_code=201)
    async def post_review(record_id: str, request: Request, _role: str = needs("review")) -> Any:
        """A reviewer's review of a record: ``{"decision": "approve"|"reject", "reason":
        "..."}``. 201 with the signed entry; 403 not authorised (not on the personnel
        list, not authorised for the procedure, the record's operator), or
        person_signature (the person's own signature missing or bad); 409 refused
        (already reviewed, superseded)."""
        from fastapi.concurrency import run_in_threadpool

        data = await body_of(request, {"decision": str, "reason": str, "as": str,
                                       "person_signature": dict})
        if data.get("decision") not in ("approve", "reject"):
            raise fail(422, "invalid", 'decision: "approve" or "reject"')
        person = person_of(request, data.get("as"))
        entry = await run_in_threadpool(act, registry.review, record_id,
                                        approve=data["decision"] == "approve",
                                        reason=data.get("reason") or "", person=person,
                                        personnel=personnel, key=key,
                                        person_signature=data.get("person_signature"))
        return answer(entry)

    @app.post("/v1/records/{record_id}/approval", tags=["review"], status_code=201)
    async def post_approval(record_id: str, request: Request,
                            _role: str = needs("review")) -> Any:
        """An approver's approval of a positively reviewed record (authorises its
        certificate): ``{"reason": "..."}`` (optional)."""
        from fastapi.concurrency import run_in_threadpool

        data = await body_of(request, {"reason": str, "as": str, "person_signature": dict})
        person = person_of(request, data.get("as"))
        entry = await run_in_threadpool(act, registry.approve, record_id,
                                        person=person, personnel=personnel, key=key,
                                        reason=data.get("reason") or "",
                                        person_signature=data.get("person_signature"))
        return answer(entry)

    @app.get("/v1/records/{record_id}/reviews", tags=["review"])
    def get_reviews(record_id: str, _role: str = needs("read")) -> Any:
        """A record's review status and its entries as stored."""
        status = call(registry.review_status, record_id)
        return {"record_id": status.record_id, "status": status.status,
                "describe": status.describe(), "entries": list(status.entries)}

    @app.get("/v1/reviews/status", tags=["review"])
    def get_statuses(_role: str = needs("read"),
                     id: list[str] = Query(..., max_length=MAX_STATUS_IDS)) -> Any:  # noqa: A002
        """The review status of records by id (at most 200 ids)."""
        if any(len(i) > 36 for i in id):
            raise fail(422, "invalid", "id: a record id")
        return {"statuses": call(registry.review_statuses, id)}

    @app.get("/v1/reviews/labs", tags=["review"])
    def review_labs(_role: str = needs("read")) -> Any:
        """The labs that have review entries."""
        return {"labs": call(registry.review_labs)}

    @app.get("/v1/reviews/heads", tags=["review"])
    def review_heads(_role: str = needs("read")) -> Any:
        """The head of each lab's entry chain: the last entry's id (``head_id``), record
        and hash (``head``), and how many entries the lab has, read together."""
        heads = []
        for lab in call(registry.review_labs):
            head = call(registry.entry_chain_head, lab)
            if head is not None:
                heads.append({"lab": lab, "head_id": head[0], "record_id": head[1],
                              "head": head[2], "count": head[3]})
        return {"heads": heads}

    @app.get("/v1/reviews/chain", tags=["review"])
    def review_chain(lab: str = Query(..., max_length=200), _role: str = needs("read"),
                     after: int = Query(0, ge=0), limit: int = Query(500, ge=1, le=1000)) -> Any:
        """A lab's review rows as stored (every column), in chain order, for a client
        that verifies them with its own trust anchor; ``records`` gives the hash and
        operators of each record they name."""
        rows = call(registry.review_chain_rows, lab, after, limit)
        named = sorted({r["record_id"] for r in rows})
        return {"rows": rows, "records": call(registry.record_hashes, named),
                "next_after": rows[-1]["seq"] if len(rows) == limit else None}
