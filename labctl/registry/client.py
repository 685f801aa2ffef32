"""The client of the registry service: ``--registry http://host:port`` anywhere a registry
URL is taken (``labctl run``, ``registry deliver/list/show/verify``).

``HttpRegistry`` has the reading and pushing methods of ``labctl.registry.store.Registry``,
so the outbox and the commands use either alike. Requests go through httpx; a request
that fails in transit (connection refused or reset, timeout, 502/503/504) is retried a few
times with exponential backoff and jitter (tenacity) before ``RegistryUnavailable`` is
raised; the outbox then keeps the record and retries later, with its own backoff.

The token: ``LABCTL_REGISTRY_TOKEN``, else the file ``LABCTL_REGISTRY_TOKEN_FILE`` names,
else ``<labctl home>/registry-token``. Never from the command line (it would show in the
process list and the shell history), and never logged or put in an error message.

Verification is done here, not by the service: ``verify_chain`` fetches the rows as stored
and checks them with this machine's trust anchor, so a service (or a database behind it)
that was tampered with cannot vouch for itself.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from labctl.registry.client_reviews import ReviewClient
from labctl.registry.errors import (
    ChainMoved,
    RecordNotFound,
    RegistryConflict,
    RegistryError,
    RegistryUnavailable,
)
from labctl.registry.record import Record

TOKEN_ENV = "LABCTL_REGISTRY_TOKEN"
TOKEN_FILE_ENV = "LABCTL_REGISTRY_TOKEN_FILE"
#: Records per push when the outbox delivers a backlog.
BATCH = 200


class RegistryAuthError(RegistryUnavailable):
    """The service refused the token (missing, unknown, revoked, or the wrong role): the
    records stay queued until a good token is set."""


def service_name(url: str) -> str:
    """A service URL as labctl shows and keys it: scheme, host and port, no credentials
    (``http://host:8700``)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{host}{port}{path}"


def read_token() -> str | None:
    """The token from the environment or the token file; None when there is none."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    from labctl.paths import registry_token_path

    path = Path(os.environ.get(TOKEN_FILE_ENV, "") or registry_token_path())
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def _transient(err: BaseException) -> bool:
    if isinstance(err, httpx.TransportError):
        return True
    return isinstance(err, httpx.HTTPStatusError) and err.response.status_code in (502, 503, 504)


class HttpRegistry(ReviewClient):
    """A registry service at ``url``; ``token`` defaults to ``read_token()``."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10.0,
                 attempts: int = 3, transport: httpx.BaseTransport | None = None):
        self.url = service_name(url)
        token = token if token is not None else read_token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._has_token = bool(token)
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout,
                                  transport=transport)
        self._attempts = attempts
        self._keys: dict[str, Ed25519PublicKey] | None = None

    # -- life -------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HttpRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HttpRegistry({self.url!r})"

    # -- requests ---------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        @retry(retry=retry_if_exception(_transient), stop=stop_after_attempt(self._attempts),
               wait=wait_exponential(multiplier=0.1, max=2.0) + wait_random(0, 0.1),
               reraise=True)
        def send() -> httpx.Response:
            response = self._http.request(method, path, **kwargs)
            if response.status_code in (502, 503, 504):
                response.raise_for_status()
            return response

        try:
            response = send()
        except httpx.HTTPStatusError as err:
            response = err.response
        except httpx.TransportError as err:
            raise RegistryUnavailable(f"cannot reach the registry service: "
                                      f"{type(err).__name__}: {err}",
                                      where=f"registry {self.url}",
                                      hint="check that 'labctl registry serve' runs there") \
                from err
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> Any:
        where = f"registry {self.url}"
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        message = str(body.get("error", "")) if isinstance(body, dict) else ""
        kind = body.get("kind") if isinstance(body, dict) else None
        if status < 300:
            return body
        if status == 401:
            hint = (f"set {TOKEN_ENV} or write the token to the token file"
                    if not self._has_token else "ask for a new token: labctl registry token "
                    "create --role bench --db URL")
            raise RegistryAuthError(f"the service refused the request: {message}",
                                    where=where, hint=hint)
        if status == 403 and kind == "forbidden":
            raise RegistryAuthError(f"the service refused the request: {message}",
                                    where=where, hint="use a token of the right role (to "
                                    "review or approve: the person's own reviewer token)")
        if status == 404:
            raise RecordNotFound(message or "not found", where=where)
        if status == 409 and kind == "chain_moved":
            raise ChainMoved(message, where=where)
        if status == 409:
            raise RegistryConflict(message, where=where)
        if status >= 500:
            raise RegistryUnavailable(f"the service failed ({status}): {message}", where=where,
                                      hint="see the service's log; retry later")
        raise RegistryError(f"the service refused it ({status}): {message}", where=where)

    # -- writing ----------------------------------------------------------------------

    def push(self, record: Record, public_key: Ed25519PublicKey | None = None) -> Any:
        return self.push_many([record], public_key)[0]

    def push_many(self, batch: list[Record], public_key: Ed25519PublicKey | None = None,
                  documents: list[dict[str, Any]] | None = None) -> list[Any]:
        """Push records in one request. The body carries each record as its canonical
        JSON, which the service reads back and checks at the speed of the C encoder."""
        from labctl.registry.canonical import canonical_json, plain_json
        from labctl.registry.signing import public_key_text
        from labctl.registry.store import PushResult

        texts = [r.canonical_json() for r in batch] if documents is None else \
            [plain_json(d) or canonical_json(d) for d in documents]
        key = b"" if public_key is None else \
            b',"public_key":"' + public_key_text(public_key).encode("ascii") + b'"'
        body = b'{"records":[' + b",".join(texts) + b"]" + key + b"}"
        answer = self._request("POST", "/v1/records", content=body,
                               headers={"content-type": "application/json"})
        return [PushResult(created=bool(r["created"]), id=r["id"], hash=r["hash"])
                for r in answer["receipts"]]

    # -- reading ----------------------------------------------------------------------

    def _labs(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/v1/labs")["labs"])

    def labs(self) -> list[str]:
        return sorted(entry["lab"] for entry in self._labs())

    def last_hash(self, lab: str) -> str | None:
        return next((e["head"] for e in self._labs() if e["lab"] == lab), None)

    def chain_head(self, lab: str) -> tuple[str, str, int] | None:
        """As ``Registry.chain_head`` (None also from a service too old to say the head's
        id)."""
        entry = next((e for e in self._labs() if e["lab"] == lab), None)
        if entry is None or not entry.get("head_id") or not entry.get("head"):
            return None
        return str(entry["head_id"]), str(entry["head"]), int(entry["count"])

    def count(self, lab: str | None = None) -> int:
        return sum(int(e["count"]) for e in self._labs() if lab is None or e["lab"] == lab)

    def list(self, limit: int | None = 50, lab: str | None = None,
             dut_serial: str | None = None, decision: str | None = None,
             status: str | None = None) -> list[Any]:
        from labctl.registry.store import RecordSummary

        params = {k: v for k, v in (("lab", lab), ("serial", dut_serial),
                                     ("decision", decision), ("status", status))
                  if v is not None}
        rows: list[dict[str, Any]] = []
        before = None
        while limit is None or len(rows) < limit:
            page = min(1000, (limit - len(rows)) if limit is not None else 1000)
            answer = self._request("GET", "/v1/records", params={
                **params, "limit": page, **({"before": before} if before else {})})
            rows.extend(answer["records"])
            before = answer.get("next_before")
            if not before:
                break
        fields = RecordSummary.__dataclass_fields__
        return [RecordSummary(**{k: v for k, v in row.items() if k in fields}) for row in rows]

    def query(self, **filters: Any) -> list[dict[str, Any]]:
        names = {"before_seq": "before", "dut_serial": "serial", "procedure_id": "procedure",
                 "finished_from": "from", "finished_to": "to"}
        params = {names.get(k, k): v for k, v in filters.items() if v is not None}
        return list(self._request("GET", "/v1/records", params=params)["records"])

    def _record(self, id_or_prefix: str) -> dict[str, Any]:
        return dict(self._request("GET", f"/v1/records/{quote(id_or_prefix.strip(), safe='')}"))

    def resolve(self, id_or_prefix: str) -> str:
        return str(self._record(id_or_prefix)["record"]["id"])

    def document(self, id_or_prefix: str) -> dict[str, Any]:
        return dict(self._record(id_or_prefix)["record"])

    def superseded_by(self, record_id: str) -> list[str]:
        return list(self._record(record_id)["superseded_by"])

    def get(self, id_or_prefix: str) -> Record:
        return Record.model_validate(self.document(id_or_prefix))

    def stored_keys(self) -> dict[str, str]:
        return dict(self._request("GET", "/v1/keys")["stored"])

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        if self._keys is None:
            self._keys = {k: Ed25519PublicKey.from_public_bytes(base64.b64decode(v))
                          for k, v in self.stored_keys().items()}
        return self._keys.get(kid)

    # -- verifying (here, with this machine's trust anchor) ---------------------------

    def verify(self, id_or_prefix: str, trusted: Any = None) -> list[str]:
        from labctl.registry.signing import verify_stored

        return verify_stored(self.document(id_or_prefix), self.public_key, trusted)

    def chain_rows(self, lab: str, after_seq: int = 0, limit: int = 500) -> list[Any]:
        answer = self._request("GET", "/v1/chain",
                               params={"lab": lab, "after": after_seq, "limit": limit})
        return list(answer["rows"])

    def verify_chain(self, lab: str, trusted: Any = None) -> list[str]:
        from labctl.registry.integrity import chain_problems

        known = {} if trusted is not None else {
            k: Ed25519PublicKey.from_public_bytes(base64.b64decode(v))
            for k, v in self.stored_keys().items()}

        def rows() -> Any:
            after = 0
            while True:
                page = self.chain_rows(lab, after, 1000)
                yield from (SimpleNamespace(**row) for row in page)
                if len(page) < 1000:
                    return
                after = page[-1]["seq"]

        return chain_problems(lab, rows(), known, trusted)

    def has_record(self, lab: str, record_id: str, record_hash: str) -> bool:
        try:
            found = self.document(record_id)
        except RecordNotFound:
            return False
        return (found.get("lab"), found.get("id"), found.get("hash")) == \
            (lab, record_id, record_hash)
