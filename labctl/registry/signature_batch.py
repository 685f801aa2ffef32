"""Checking the hashes and Ed25519 signatures of a batch of records, spread over the
machine's cores.

A record's signature check is the largest single cost of a push (benchmarks/
bench_registry_service.py splits it out). Through the cryptography package (OpenSSL) it
holds the GIL for the whole check, so a batch could only be checked one signature at a
time. libsodium, through PyNaCl (the Python Cryptographic Authority's binding, as the
cryptography package is theirs), checks a signature in about half the CPU time here and
releases the GIL while it does (and so does hashlib on a long text): a batch is checked
in pieces by worker threads, one a core but the pushing thread's, or from
``PROCESSES_FROM`` records by a worker process (``labctl.registry.signature_process``),
while the pushing thread canonicalises the next records and writes the rows
(``RecordChecks``). Verifying a stored chain works the same way in threads
(``CheckStream``): the workers check the signatures of the rows read so far while the
verifying thread reads, canonicalises and hashes the next ones, and the verdicts come
back in chain order.

Both libraries check the same RFC 8032 signature; libsodium is the stricter: it refuses
small-order public keys and non-canonical encodings, under which OpenSSL accepts a forged
signature of any message (tests/registry/test_signature_batch.py shows one). Every
signature labctl checks goes through ``signature_ok`` (``signing.verify_record`` too).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from labctl.registry.canonical import UNHASHED_FIELDS, CanonicalDocument
from labctl.registry.signature_process import (
    HASHED_TEXT,
    MAX_UNREAD,
    NOT_CUT,
    WHOLE_TEXT,
    SignatureProcess,
    check_bytes,
    claimed_worker,
)

#: Below this many signatures a batch is checked in the calling thread (a worker's hand-off
#: costs more than it saves).
THREADED_FROM = 16

#: From this many records a batch's signatures are checked by the signature worker
#: process (``RecordChecks``), whose start (~0.1 s, once a process) a batch this large,
#: and every one after it, repays.
PROCESSES_FROM = 100

#: One record to check: the signer's 32 raw public-key bytes, the signature in base64 and
#: the hash (hex) as the record carries them, and the canonical JSON its hash covers, or
#: the record's ``CanonicalDocument`` (the worker process then cuts the hashed part out
#: of the whole text itself, sparing the pushing thread).
Item = tuple[bytes, str, str, bytes | CanonicalDocument]

_log = logging.getLogger(__name__)

#: One signature to check: the signer's 32 raw public-key bytes, the signature in base64
#: and the message signed (a record's or review entry's 32 hash bytes).
Signed = tuple[bytes, str, bytes]

#: How many records a worker is handed at a time.
PIECE = 25

T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _workers() -> int:
    """One worker a core but the pushing thread's own: more would take a core from it."""
    return max(0, min(8, (os.cpu_count() or 1) - 1))


def _executor() -> ThreadPoolExecutor:
    """The worker threads of this process (made anew in a forked child, whose copy of
    the parent's pool has no threads behind it)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=_workers(),
                                       thread_name_prefix="labctl-signatures")
            _pool_pid = os.getpid()
        return _pool


def signature_ok(public_key: bytes, signature: str, message: bytes) -> bool:
    """True when ``signature`` (base64 of 64 bytes) is ``public_key``'s Ed25519 signature
    of ``message``; False for a bad or malformed signature."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return False
    if len(raw) != 64 or len(public_key) != 32:
        return False
    try:
        crypto_sign_open(raw + message, public_key)
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


def record_ok(public_key: bytes, signature: str, record_hash: str, hashed: bytes) -> bool:
    """True when ``record_hash`` is the SHA-256 of ``hashed`` and ``signature`` signs its
    32 bytes under ``public_key`` (hashlib, too, releases the GIL on a long text)."""
    if hashlib.sha256(hashed).hexdigest() != record_hash:
        return False
    try:
        message = bytes.fromhex(record_hash)
    except ValueError:
        return False
    return signature_ok(public_key, signature, message)


def _check(items: Sequence[Item]) -> list[bool]:
    return [_item_ok(item) for item in items]


def _item_ok(item: Item) -> bool:
    public_key, signature, record_hash, hashed = item
    if not isinstance(hashed, bytes):
        hashed = hashed.json(without=UNHASHED_FIELDS)
    return record_ok(public_key, signature, record_hash, hashed)


def _signature_check(item: Item) -> bytes | None:
    """The worker process's check of a record (``signature_process.check_bytes``); None
    for a malformed hash or signature, which fails here."""
    public_key, signature, record_hash, hashed = item
    try:
        raw = base64.b64decode(signature, validate=True)
        digest = bytes.fromhex(record_hash)
    except (binascii.Error, ValueError, TypeError):
        return None
    if len(raw) != 64 or len(digest) != 32 or len(public_key) != 32:
        return None
    if isinstance(hashed, bytes):
        return check_bytes(HASHED_TEXT, public_key, raw, digest, hashed)
    return check_bytes(WHOLE_TEXT, public_key, raw, digest, hashed.json(),
                       signature.encode("ascii"))


class _ProcessPiece:
    """A piece sent to the signature worker process: which of its records were sent
    (the others failed already here) and, once read, the worker's answers."""

    def __init__(self, items: list[Item], sent: list[bool]):
        self.items, self.sent = items, sent
        self.answers: bytes | None = None

    def result(self) -> list[bool]:
        assert self.answers is not None
        answers = iter(self.answers)
        return [_answered(next(answers), item) if sent else False
                for item, sent in zip(self.items, self.sent, strict=True)]


def _answered(answer: int, item: Item) -> bool:
    """The worker's answer; a text it could not cut is checked here."""
    return _item_ok(item) if answer == NOT_CUT else answer == 1


def _check_signatures(items: Sequence[Signed]) -> list[bool]:
    return [signature_ok(*item) for item in items]


class RecordChecks:
    """The hash and signature checks of a batch of records, handed over a piece at a time
    as the pushing thread prepares the records (``add``), so that the first pieces are
    checked while it still prepares and writes the last.

    A batch of fewer than ``THREADED_FROM`` records, or any batch on a one-core machine,
    is checked in the pushing thread. A larger one goes to worker threads, or from
    ``PROCESSES_FROM`` records to the signature worker process
    (``labctl.registry.signature_process``): a worker thread needs the GIL for each
    signature, and hands it back and forth with the pushing thread at a cost of tens of
    microseconds each time, which a process with a GIL of its own does not pay. Should
    the process die, its pieces are checked here."""

    def __init__(self, size: int):
        self._threaded = size >= THREADED_FROM and _workers() > 0
        self._worker: SignatureProcess | None = \
            claimed_worker() if self._threaded and size >= PROCESSES_FROM else None
        self._parts: list[Future[list[bool]] | list[bool] | _ProcessPiece] = []

    def add(self, items: Sequence[Item]) -> None:
        """Start checking ``items`` (the next records of the batch, in order)."""
        if not items:
            return
        if self._worker is not None:
            self._parts.append(self._send(list(items)))
        elif self._threaded:
            self._parts.append(_executor().submit(_check, list(items)))
        else:
            self._parts.append(_check(items))

    def _send(self, items: list[Item]) -> _ProcessPiece | list[bool]:
        worker = self._worker
        assert worker is not None
        checks = [_signature_check(item) for item in items]
        piece = _ProcessPiece(items, [check is not None for check in checks])
        try:
            while worker.unread and worker.unread + len(items) > MAX_UNREAD:
                self._read_oldest()
            worker.send([check for check in checks if check is not None])
        except OSError:
            self._lost_worker()
            return _check(items)
        return piece

    def _read_oldest(self) -> None:
        assert self._worker is not None
        piece = next(p for p in self._parts if isinstance(p, _ProcessPiece)
                     and p.answers is None)
        piece.answers = self._worker.answers(sum(piece.sent))

    def _lost_worker(self) -> None:
        """The worker process died: what it has not answered is checked here."""
        assert self._worker is not None
        _log.warning("the signature worker process ended; this batch's signatures are "
                     "checked in the pushing process")
        self._worker.release()
        self._worker = None
        self._parts[:] = [_check(p.items) if isinstance(p, _ProcessPiece) and p.answers is None
                          else p for p in self._parts]

    def result(self) -> list[bool]:
        """Whether each record's hash and signature verified, in the order added (waits
        for the workers)."""
        if self._worker is not None:
            try:
                while any(isinstance(p, _ProcessPiece) and p.answers is None
                          for p in self._parts):
                    self._read_oldest()
            except OSError:
                self._lost_worker()
            else:
                self._worker.release()
                self._worker = None
        out: list[bool] = []
        for part in self._parts:
            if isinstance(part, (_ProcessPiece, Future)):
                out += part.result()
            else:
                out += part
        return out

    def failed(self) -> list[int]:
        """The positions of the records whose hash or signature did not verify."""
        return [i for i, ok in enumerate(self.result()) if not ok]


class CheckStream(Generic[T]):
    """Signature checks of a stream of records of unknown length (a chain being read),
    handed to worker threads a piece (``PIECE``) at a time while the calling thread reads
    on, and given back in the order they were put.

    ``put(item, payload)`` takes the next record: ``item``, the signature to check (None:
    nothing to check in the workers, the caller has judged the record itself) and
    ``payload``, whatever the caller needs once the verdict is known. It returns the
    records resolved so far that were not returned before, in order, as ``(payload,
    ok)`` pairs (``ok``: None for a record put without an item). ``finish()`` waits for
    the rest and returns them. At most ``ahead`` pieces are in the workers' hands at a
    time (the calling thread waits for the oldest beyond that), so memory stays bounded
    on a long chain. A stream of fewer than ``THREADED_FROM`` items, or any stream on a
    one-core machine, is checked in the calling thread.

    Only the signature goes to the workers; the caller compares the SHA-256 itself.
    Measured on the project's 2-core machine (docs/registry.md, "Reading and
    verifying"), handing the hash over too made the walk slower than doing everything in
    one thread: a worker needs the GIL back after each C call, and each hand-off with a
    thread busy in Python costs more than a short hash; with one C call a record in the
    worker, and the caller's hashing of a long text releasing the GIL, the two overlap.
    """

    def __init__(self, piece: int = PIECE, ahead: int | None = None):
        self._piece_size = piece
        self._ahead = ahead if ahead is not None else 2 * _workers() + 2
        self._waiting: deque[tuple[T, bool]] = deque()  # (payload, has an item), in order
        self._piece: list[Signed] = []
        self._sent: deque[Future[list[bool]]] = deque()
        self._results: deque[bool] = deque()
        self._threaded = False  # set by the first full piece, when there are workers

    def put(self, item: Signed | None, payload: T) -> list[tuple[T, bool | None]]:
        """Take the next record; the records resolved so far (see the class doc)."""
        self._waiting.append((payload, item is not None))
        if item is not None:
            self._piece.append(item)
            if len(self._piece) >= self._piece_size:
                self._send(threaded=_workers() > 0)
        while len(self._sent) > self._ahead or (self._sent and self._sent[0].done()):
            self._results.extend(self._sent.popleft().result())
        return self._resolved()

    def finish(self) -> list[tuple[T, bool | None]]:
        """Wait for the checks still running; the records not returned yet, in order."""
        if self._piece:
            self._send(threaded=_workers() > 0 and (self._threaded or
                                                     len(self._piece) >= THREADED_FROM))
        while self._sent:
            self._results.extend(self._sent.popleft().result())
        return self._resolved()

    def _send(self, *, threaded: bool) -> None:
        piece, self._piece = self._piece, []
        if threaded:
            self._threaded = True
            self._sent.append(_executor().submit(_check_signatures, piece))
        else:  # nothing is in the workers' hands (no workers, or a short stream)
            self._results.extend(_check_signatures(piece))

    def _resolved(self) -> list[tuple[T, bool | None]]:
        out: list[tuple[T, bool | None]] = []
        while self._waiting:
            payload, checked = self._waiting[0]
            if not checked:
                out.append((payload, None))
            elif self._results:
                out.append((payload, self._results.popleft()))
            else:
                break
            self._waiting.popleft()
        return out
