"""The registry service: ``labctl registry serve``, HTTP (FastAPI) over the SQLAlchemy store.

The service keeps no state outside its database (tokens, records, keys, standards all live
there; a token cache holds answers for ``TOKEN_CACHE_SECONDS``), so several processes can
serve one PostgreSQL database behind a proxy. The schema is migrated at start
(``labctl.registry.migrate``).

Every endpoint but ``/v1/health`` and the OpenAPI pages needs ``Authorization: Bearer
<token>`` (``labctl registry token create``): ``bench`` tokens push and read, ``reviewer``
and ``reader`` tokens read; a ``reviewer`` token made for a person reviews and approves
(``labctl.registry.service_reviews``). Errors are JSON ``{"error": ..., "kind": ...}``
with a message about the request only: never a database URL, a SQL text or a stack trace.

A body is at most ``max_body`` bytes (1 MiB by default, ``--max-body``); a push holds at
most ``MAX_BATCH`` records. Strings in a pushed record may not hold control characters
other than tab and newline (nor lone surrogates): such a record is refused before it is
checked further. SQL meta-characters are data: every query is parameterised, and a
record's strings are stored and returned exactly as signed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import ValidationError

from labctl.errors import LabctlError
from labctl.registry.canonical import load_fast_json
from labctl.registry.errors import (
    ChainMoved,
    RecordNotFound,
    RegistryConflict,
    RegistryError,
    RegistryUnavailable,
    SigningError,
)
from labctl.registry.record import Record

log = logging.getLogger("labctl.registry.service")

DEFAULT_MAX_BODY = 1 << 20
MAX_BATCH = 500
MAX_PAGE = 1000
TOKEN_CACHE_SECONDS = 30.0
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ID = re.compile(r"^[0-9a-f-]{4,36}$")
# Where a JSON body can carry a control character into a string: an escape (\b \f \r,
# \u0000-\u0008, \u000b-\u001f, \u007f-\u009f, a surrogate) or a raw DEL or C1 byte
# (raw C0 bytes are not JSON). A body without any needs no walk through its strings.
_CONTROL_IN_JSON = re.compile(
    rb"\\[bfr]|\\u00(?:0[0-8b-fB-F]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])|\\u[dD][89a-fA-F]"
    rb"|\x7f|\xc2[\x80-\x9f]")


class ApiError(Exception):
    def __init__(self, status: int, kind: str, message: str, **extra: Any):
        self.status, self.kind, self.message, self.extra = status, kind, message, extra


def _error(status: int, kind: str, message: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message, "kind": kind, **extra}, status_code=status,
                        headers=headers)


def _message(err: LabctlError) -> str:
    """The error's own words, without ``where`` (which names the database)."""
    return f"{err.message} ({err.hint})" if err.hint else err.message


class _Tokens:
    """Token -> role, asked of the database and remembered for a short while."""

    def __init__(self, registry: Any):
        self._registry = registry
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> tuple[bool, Any]:
        """(True, info) when the token's answer is remembered, else (False, None): a
        check the event loop can make without waiting for the database."""
        from labctl.registry.tokens import token_hash

        with self._lock:
            hit = self._cache.get(token_hash(token))
        if hit is not None and time.monotonic() - hit[0] < TOKEN_CACHE_SECONDS:
            return True, hit[1]
        return False, None

    def role(self, token: str) -> str | None:
        info = self.info(token)
        return info.role if info is not None else None

    def info(self, token: str) -> Any:
        """The token's ``TokenInfo`` (role and, for a reviewer, person), or None."""
        from labctl.registry.tokens import check_token, token_hash

        key = token_hash(token)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < TOKEN_CACHE_SECONDS:
            return hit[1]
        info = check_token(self._registry, token)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now, info)
        return info


#: The bearer token as the OpenAPI document declares it (checked by ``needs``, which
#: gives its own 401 when it is missing, so this one raises nothing).
_BEARER = HTTPBearer(auto_error=False, description="a token from `labctl registry token "
                     "create` (bench, reviewer or reader)")


def create_app(db_url: str, *, trusted_keys: Path | None = None,
               max_body: int = DEFAULT_MAX_BODY, personnel: Path | None = None,
               signing_key: Path | None = None) -> FastAPI:
    """The service over the registry at ``db_url`` (migrated here). ``trusted_keys``: a
    trusted-keys file; when given, records signed by other keys are refused (403).
    ``personnel``: the lab's personnel list, which reviews and approvals are checked
    against (none: they are refused); ``signing_key``: the key that signs review and
    approval entries (default: the lab key of this labctl home, made if missing)."""
    from labctl.personnel import personnel_from
    from labctl.registry.signing import load_or_create_key
    from labctl.registry.store import open_registry
    from labctl.registry.trust import load_trusted_keys

    registry = open_registry(db_url)
    trusted = load_trusted_keys(trusted_keys) if trusted_keys is not None else None
    people = personnel_from(personnel) if personnel is not None else None
    entry_key = load_or_create_key(signing_key)
    from labctl.registry.signing import key_id as _kid

    if _kid(entry_key.public_key()) in getattr(trusted, "revoked", {}):
        raise SigningError(f"the service's key {_kid(entry_key.public_key())} is revoked in "
                           "the trusted-keys file", hint="give --key with a trusted key")
    tokens = _Tokens(registry)
    # FastAPIOffline: FastAPI whose /docs and /redoc load Swagger UI and ReDoc from the
    # service (/static-offline-docs), not from a CDN, so they work on a lab's own network
    app = FastAPIOffline(title="labctl registry", version="1",
                         description="Signed calibration records of a lab: push, read, "
                                     "verify.")
    app.state.registry = registry

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, err: ApiError) -> JSONResponse:
        return _error(err.status, err.kind, err.message, **err.extra)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, err: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return _error(500, "internal", "internal error; the service log has the details")

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def _bad_query(_request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        place = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, "invalid", f"{place}: {first.get('msg', 'invalid')}")

    def role_of(request: Request) -> str:
        return str(token_of(request).role)

    def token_of(request: Request) -> Any:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "a bearer token is needed "
                           "(labctl registry token create)")
        try:
            info = tokens.info(token.strip())
        except RegistryUnavailable as err:
            raise ApiError(503, "unavailable", "the registry database cannot be reached") \
                from err
        if info is None:
            raise ApiError(401, "unauthorized", "the token is not valid (revoked or unknown)")
        return info

    def needs(action: str) -> Any:
        from labctl.registry.tokens import PERMISSIONS

        async def check(request: Request, _shown: Any = Security(_BEARER)) -> str:
            # _shown: declares the bearer token in the OpenAPI document (the pages'
            # "Authorize" button); the header is read and checked here
            # a remembered token is checked on the event loop; only a token not seen for
            # TOKEN_CACHE_SECONDS costs a trip to a worker thread and the database
            header = request.headers.get("authorization", "")
            known, info = tokens.cached(header.partition(" ")[2].strip())
            if not known or info is None or header.partition(" ")[0].lower() != "bearer":
                info = await run_in_threadpool(token_of, request)
            role = str(info.role)
            if action not in PERMISSIONS.get(role, ()):
                raise ApiError(403, "forbidden", f"a {role} token may not {action}")
            return role

        return Depends(check)

    def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RecordNotFound as err:
            raise ApiError(404, "not_found", _message(err)) from err
        except ChainMoved as err:
            raise ApiError(409, "chain_moved", _message(err)) from err
        except RegistryConflict as err:
            raise ApiError(409, "conflict", _message(err)) from err
        except RegistryUnavailable as err:
            raise ApiError(503, "unavailable", "the registry database cannot be reached") \
                from err
        except (RegistryError, SigningError) as err:
            raise ApiError(422, "refused", _message(err)) from err
        except LabctlError as err:
            raise ApiError(422, "refused", _message(err)) from err

    # -- open -------------------------------------------------------------------------

    @app.get("/v1/health", tags=["service"])
    def health() -> dict[str, Any]:
        """Whether the service and its database answer (no token needed)."""
        from labctl.registry.migrate import HEAD

        call(registry.count)
        return {"status": "ok", "schema": HEAD}

    # -- writing ----------------------------------------------------------------------

    @app.post("/v1/records", tags=["records"], status_code=201)
    async def push(request: Request, _role: str = needs("push")) -> Any:
        """Push one record (``{"record": {...}, "public_key": "..."}``) or several in chain
        order (``{"records": [...], ...}``); idempotent on the record id. 201: stored;
        200: the registry already held them (the same receipts); 409: another record
        under that id (``conflict``) or the lab's chain has moved (``chain_moved``)."""
        body = await _read_body(request, max_body)
        batch, docs, public_key = _parse_push(body, trusted)
        results = await run_in_threadpool(call, registry.push_many, batch, public_key, docs)
        receipts = [{"id": r.id, "hash": r.hash, "created": r.created} for r in results]
        status = 201 if any(r.created for r in results) else 200
        return JSONResponse({"receipts": receipts}, status_code=status)

    # -- reading ----------------------------------------------------------------------

    @app.get("/v1/records/{record_id}", tags=["records"])
    def get_record(record_id: str, _role: str = needs("read")) -> Any:
        """One record as stored (an id or a unique prefix), and what supersedes it."""
        if not _ID.match(record_id.lower()):
            raise ApiError(422, "invalid", "not a record id or id prefix")
        doc = call(registry.document, record_id)
        return {"record": doc, "superseded_by": call(registry.superseded_by, doc["id"])}

    @app.get("/v1/records", tags=["records"])
    def list_records(
        _role: str = needs("read"),
        lab: str | None = Query(None, max_length=200),
        serial: str | None = Query(None, max_length=200),
        decision: str | None = Query(None, max_length=20),
        status: str | None = Query(None, pattern="^(unreviewed|reviewed|rejected|approved)$",
                                   description="review status"),
        procedure: str | None = Query(None, max_length=200),
        family: str | None = Query(None, max_length=100),
        supersedes: str | None = Query(None, max_length=36),
        hash: str | None = Query(None, max_length=64),
        finished_from: datetime | None = Query(None, alias="from"),
        finished_to: datetime | None = Query(None, alias="to"),
        limit: int = Query(50, ge=1, le=MAX_PAGE),
        before: int | None = Query(None, ge=1, description="the next_before of the last page"),
    ) -> Any:
        """Record summaries, newest first, filtered by lab, DUT serial, decision,
        procedure id, family, supersession and period (``from``, ``to``: ISO times)."""
        rows = call(registry.query, limit=limit, before_seq=before, lab=lab, dut_serial=serial,
                    decision=decision, procedure_id=procedure, family=family,
                    supersedes=supersedes, record_hash=hash, finished_from=_iso(finished_from),
                    finished_to=_iso(finished_to), **({"status": status} if status else {}))
        return {"records": rows, "next_before": rows[-1]["seq"] if len(rows) == limit else None}

    @app.get("/v1/instruments/{serial}/history", tags=["records"])
    async def history(serial: str, _role: str = needs("read"),
                      limit: int = Query(50, ge=1, le=MAX_PAGE),
                      before: int | None = Query(None, ge=1)) -> Any:
        """An instrument's records by its serial number, newest first (page on with
        ``before`` = the ``next_before`` of the last page)."""
        rows = await run_in_threadpool(call, registry.history, serial, limit=limit,
                                       before_seq=before)
        return _json({"records": rows,
                      "next_before": rows[-1]["seq"] if len(rows) == limit else None})

    @app.get("/v1/labs", tags=["chain"])
    def labs(_role: str = needs("read")) -> Any:
        """The labs with records here, with their record count and chain head (its hash
        and its record's id), read together."""
        labs = []
        for lab in call(registry.labs):
            head = call(registry.chain_head, lab)
            if head is not None:
                labs.append({"lab": lab, "count": head[2], "head": head[1], "head_id": head[0]})
        return {"labs": labs}

    @app.get("/v1/chain", tags=["chain"])
    def chain(lab: str = Query(..., max_length=200), _role: str = needs("read"),
              after: int = Query(0, ge=0), limit: int = Query(500, ge=1, le=MAX_PAGE)) -> Any:
        """A lab's stored rows in chain order, as stored (every column), for a client that
        verifies the chain itself with its own trust anchor."""
        rows = call(registry.chain_rows, lab, after, limit)
        return {"rows": rows, "next_after": rows[-1]["seq"] if len(rows) == limit else None}

    @app.get("/v1/keys", tags=["chain"])
    def public_keys(_role: str = needs("read")) -> Any:
        """The lab's public keys: those the records were pushed with (``stored``) and, when
        the service has a trusted-keys file, the trusted ones."""
        from labctl.registry.signing import key_id

        return {"stored": call(registry.stored_keys),
                "trusted": None if trusted is None else {
                    kid: _b64(k) for kid, k in trusted.items()},
                "service": {key_id(entry_key.public_key()): _b64(entry_key.public_key())}}

    @app.get("/v1/standards/due", tags=["standards"])
    def due(before: date = Query(...), _role: str = needs("read")) -> Any:
        """The reference standards whose newest certificate is due before a date."""
        from labctl.registry.reports import standards_due

        return {"before": before.isoformat(), "standards": call(standards_due, registry, before)}

    @app.get("/v1/stats", tags=["standards"])
    def key_figures(_role: str = needs("read")) -> Any:
        """The lab's key figures: standards in service and due within 30 days, records per
        family, procedure and decision, and the share of the mandatory-verification
        instrument kinds covered (from a data table; its source is given)."""
        from labctl.registry.reports import stats

        return call(stats, registry, datetime.now(UTC).date())

    from labctl.registry.service_reviews import add_review_routes

    add_review_routes(app, registry, needs=needs, token_of=token_of, call=call,
                      api_error=ApiError, read_body=_read_body, control=_CONTROL,
                      personnel=people, key=entry_key)
    return app


def app_from_env() -> FastAPI:
    """The app as ``uvicorn --factory`` builds it in each worker, from the environment
    that ``labctl registry serve`` sets (LABCTL_SERVICE_DB, ..._TRUSTED_KEYS, ..._MAX_BODY)."""
    trusted = os.environ.get("LABCTL_SERVICE_TRUSTED_KEYS")
    people = os.environ.get("LABCTL_SERVICE_PERSONNEL")
    key = os.environ.get("LABCTL_SERVICE_KEY")
    return create_app(os.environ["LABCTL_SERVICE_DB"],
                      trusted_keys=Path(trusted) if trusted else None,
                      max_body=int(os.environ.get("LABCTL_SERVICE_MAX_BODY", DEFAULT_MAX_BODY)),
                      personnel=Path(people) if people else None,
                      signing_key=Path(key) if key else None)


# -- helpers ------------------------------------------------------------------------------


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise ApiError(413, "too_large", f"the body is larger than the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large",
                           f"the body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_push(body: bytes, trusted: dict[str, Any] | None
                ) -> tuple[list[Record], list[dict[str, Any]], Any]:
    try:
        data = load_fast_json(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
        raise ApiError(400, "malformed", "the body is not JSON (UTF-8)") from None
    if not isinstance(data, dict) or ("record" in data) == ("records" in data):
        raise ApiError(400, "malformed",
                       'the body is {"record": {...}} or {"records": [...]}, with "public_key"')
    docs = data["records"] if "records" in data else [data["record"]]
    if not isinstance(docs, list) or not docs or len(docs) > MAX_BATCH:
        raise ApiError(400, "malformed", f"records: a list of 1 to {MAX_BATCH} records")
    batch = []
    suspect = (b"\\" in body or b"\x7f" in body or b"\xc2" in body) and \
        _CONTROL_IN_JSON.search(body) is not None  # else no string holds one
    for i, doc in enumerate(docs):
        where = f"records[{i}]" if "records" in data else "record"
        if not isinstance(doc, dict):
            raise ApiError(400, "malformed", f"{where} is not an object")
        bad = _control_character(doc, where) if suspect else None
        if bad:
            raise ApiError(422, "invalid", f"{bad}: control characters are not allowed "
                           "(only tab and newline)")
        try:
            batch.append(Record.model_validate(doc, context={"json": True}))
        except ValidationError as err:
            first = err.errors()[0]
            place = ".".join(str(p) for p in first["loc"])
            raise ApiError(422, "invalid", f"{where}.{place}: {first['msg']}") from None
        if not batch[-1].signed:
            raise ApiError(422, "invalid", f"{where} is not signed")
        if trusted is not None and batch[-1].key_id not in trusted:
            raise ApiError(403, "untrusted_key", f"{where} is signed by key "
                           f"{batch[-1].key_id}, which is not a trusted key of the lab")
        if trusted is not None and batch[-1].key_id in getattr(trusted, "revoked", {}):
            raise ApiError(403, "revoked_key", f"{where} is signed by key "
                           f"{batch[-1].key_id}, which the lab revoked")
    public_key = None
    text = data.get("public_key")
    if text is not None:
        from labctl.registry.signing import load_public_key

        if not isinstance(text, str) or len(text) > 200:
            raise ApiError(400, "malformed", "public_key: base64 of a 32-byte Ed25519 key")
        try:
            public_key = load_public_key(text)
        except SigningError:
            raise ApiError(422, "invalid", "public_key is not an Ed25519 public key") from None
        from labctl.registry.signing import key_id

        if trusted is not None and key_id(public_key) not in trusted:
            raise ApiError(403, "untrusted_key", "public_key is not a trusted key of the lab")
    return batch, docs, public_key


def _control_character(value: Any, where: str) -> str | None:
    """Where the first string (or key) with a control character is, or None."""
    if isinstance(value, str):
        return where if _CONTROL.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _CONTROL.search(key):
                return f"{where} (a key)"
            found = _control_character(item, f"{where}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _control_character(item, f"{where}[{i}]")
            if found:
                return found
    return None


def _json(content: Any, status: int = 200) -> Response:
    """A JSON response written by orjson, sparing FastAPI's walk of the content through
    ``jsonable_encoder`` (the content here is plain JSON values already)."""
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ApiError(422, "invalid", "give times with their UTC offset, e.g. "
                       "2024-05-01T00:00:00Z")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _b64(key: Any) -> str:
    from labctl.registry.signing import public_key_text

    return public_key_text(key)
