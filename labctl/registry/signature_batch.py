"""Checking the hashes and Ed25519 signatures of a batch of records, spread over the
machine's cores.

A record's signature check is the largest single cost of a push (benchmarks/
bench_registry_service.py splits it out). Through the cryptography package (OpenSSL) it
holds the GIL for the whole check, so a batch could only be checked one signature at a
time. libsodium, through PyNaCl (the Python Cryptographic Authority's binding, as the
cryptography package is theirs), checks a signature in about half the CPU time here and
releases the GIL while it does (and so does hashlib on a long text): a batch is checked
in pieces by worker threads, one a core but the pushing thread's, while the pushing
thread canonicalises the next records and writes the rows.

Both libraries check the same RFC 8032 signature; libsodium is the stricter: it refuses
small-order public keys and non-canonical encodings, under which OpenSSL accepts a forged
signature of any message (tests/registry/test_signature_batch.py shows one). Every
signature labctl checks goes through ``signature_ok`` (``signing.verify_record`` too).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

#: Below this many signatures a batch is checked in the calling thread (a worker's hand-off
#: costs more than it saves).
THREADED_FROM = 16

#: One record to check: the signer's 32 raw public-key bytes, the signature in base64 and
#: the hash (hex) as the record carries them, and the canonical JSON its hash covers.
Item = tuple[bytes, str, str, bytes]

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
    return [record_ok(*item) for item in items]


class RecordChecks:
    """The hash and signature checks of a batch of records, handed to worker threads a
    piece at a time as the pushing thread prepares the records (``add``), so that the
    workers check the first pieces while it still writes the last. A batch of fewer than
    ``THREADED_FROM`` records, or any batch on a one-core machine, is checked in the
    pushing thread."""

    def __init__(self, size: int):
        self._threaded = size >= THREADED_FROM and _workers() > 0
        self._parts: list[Future[list[bool]] | list[bool]] = []

    def add(self, items: Sequence[Item]) -> None:
        """Start checking ``items`` (the next records of the batch, in order)."""
        if not items:
            return
        self._parts.append(_executor().submit(_check, list(items)) if self._threaded
                           else _check(items))

    def result(self) -> list[bool]:
        """Whether each record's hash and signature verified, in the order added (waits
        for the workers)."""
        return [ok for part in self._parts
                for ok in (part.result() if isinstance(part, Future) else part)]

    def failed(self) -> list[int]:
        """The positions of the records whose hash or signature did not verify."""
        return [i for i, ok in enumerate(self.result()) if not ok]
