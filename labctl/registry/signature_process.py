"""A worker process that checks Ed25519 signatures for a process pushing large batches.

A worker thread cannot keep up with a pushing thread that prepares rows in Python: it
needs the GIL once a signature, to start libsodium on it, and every such hand-over costs
both threads tens of microseconds. This worker is a process of its own (its own GIL),
started once (``python -m labctl.registry.signature_process``), fed through a pipe.

The protocol is binary, so neither side parses anything: a request is a 4-byte
little-endian count ``n`` followed by ``n`` checks (``check_bytes``), each a kind byte
(0: the text is what the hash covers; 1: the text is the record's whole canonical JSON,
from which the worker cuts the ``hash`` and ``signature`` members, as
``canonical.hashed_part`` does), the 32-byte public key, the 64-byte signature, the
32-byte record hash (the signed message), the 4-byte little-endian lengths of the
signature's base64 text (as the record carries it) and of the text, and those two texts.
The answer is ``n`` bytes: 1 for a record whose hashed text has that SHA-256 and whose
signature verifies, 0 for one that does not, 2 for a whole text the members could not be
cut from for sure (the pushing process checks that record itself). The worker ends when
its input ends, which is also when the pushing process ends or dies.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

#: The bytes of one check before its texts: kind, public key, signature, hash, lengths.
HEAD_SIZE = 1 + 32 + 64 + 32 + 4 + 4

#: The kinds of text a check carries, and the worker's answer for a text it could not cut.
HASHED_TEXT, WHOLE_TEXT, NOT_CUT = 0, 1, 2

#: At most this many answers are left unread in the pipe, far below a pipe's buffer
#: (64 KiB on Linux), so the worker never blocks writing them while the pushing process
#: blocks writing requests (the requests, texts of kilobytes, fill a pipe soon: the
#: worker reads them as fast as it checks).
MAX_UNREAD = 16384

_COUNT = struct.Struct("<I")
_LENGTHS = struct.Struct("<II")


def check_bytes(kind: int, public_key: bytes, signature: bytes, record_hash: bytes,
                text: bytes, signature_text: bytes = b"") -> bytes:
    """One check as the worker reads it (``signature_text``: for a ``WHOLE_TEXT``)."""
    return b"".join((bytes((kind,)), public_key, signature, record_hash,
                     _LENGTHS.pack(len(signature_text), len(text)), signature_text, text))


def main() -> None:
    """The worker: answer requests on stdin until it ends."""
    import hashlib

    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import BadSignatureError

    from labctl.registry.canonical import hashed_part

    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        head = requests.read(_COUNT.size)
        if len(head) < _COUNT.size:
            return
        (count,) = _COUNT.unpack(head)
        out = bytearray(count)
        for i in range(count):
            check = requests.read(HEAD_SIZE)
            if len(check) < HEAD_SIZE:
                return
            signature_size, size = _LENGTHS.unpack_from(check, HEAD_SIZE - _LENGTHS.size)
            signature_text = requests.read(signature_size)
            text = requests.read(size)
            if len(signature_text) < signature_size or len(text) < size:
                return
            digest = check[97:129]
            if check[0] == WHOLE_TEXT:
                members = {"hash": digest.hex(),
                           "signature": signature_text.decode("ascii", "replace")}
                cut = hashed_part(text, members)
                if cut is None:
                    out[i] = NOT_CUT
                    continue
                text = cut
            if hashlib.sha256(text).digest() != digest:
                continue
            try:
                crypto_sign_open(check[33:129], check[1:33])
                out[i] = 1
            except (BadSignatureError, ValueError):
                pass
        answers.write(out)
        answers.flush()


class SignatureProcess:
    """The pushing process's side: one worker, used by one batch at a time (``claim``;
    a batch that finds it taken uses threads instead)."""

    def __init__(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        env = dict(os.environ, PYTHONPATH=package_root if not path
                   else os.pathsep.join([package_root, path]))
        self._proc = subprocess.Popen(
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        _widen(self._proc.stdin)
        self._lock = threading.Lock()
        self.unread = 0
        self.pid = os.getpid()

    def claim(self) -> bool:
        """Take the worker for one batch (False: another batch has it)."""
        return self._lock.acquire(blocking=False)

    def release(self) -> None:
        """Give the worker back, reading and dropping answers left unread (a batch that
        ended early)."""
        try:
            if self.unread:
                self.answers(self.unread)
        except OSError:
            pass
        finally:
            self._lock.release()

    def send(self, checks: Sequence[bytes]) -> None:
        """Ask for ``checks`` (each from ``check_bytes``); ``OSError`` when the worker is
        gone."""
        assert self._proc.stdin is not None
        self._proc.stdin.write(_COUNT.pack(len(checks)) + b"".join(checks))
        self._proc.stdin.flush()
        self.unread += len(checks)

    def answers(self, count: int) -> bytes:
        """The next ``count`` answers, in the order asked; ``OSError`` when the worker
        is gone."""
        assert self._proc.stdout is not None
        data = self._proc.stdout.read(count) if count else b""
        if len(data) < count:
            raise BrokenPipeError("the signature worker process ended")
        self.unread -= count
        return data

    def alive(self) -> bool:
        return self._proc.poll() is None

    def forget(self) -> None:
        """Close this process's ends of the pipes without ending the worker (in a forked
        child: the worker is its parent's)."""
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def close(self) -> None:
        """End the worker (its input ends) and wait for it."""
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            self._proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self._proc.kill()
        finally:
            if self._proc.stdout is not None:
                self._proc.stdout.close()


#: The pipe to the worker holds this much (Linux; 1 MiB is what an unprivileged process
#: may ask for by default): a batch's texts are written without waiting for the worker to
#: read them, as it checks (a pipe of 64 KiB would make the pushing thread wait).
PIPE_SIZE = 1 << 20


def _widen(pipe: Any) -> None:
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if set_size is None or pipe is None:
        return
    with contextlib.suppress(OSError):  # a lower limit here: the pipe stays, only slower
        fcntl.fcntl(pipe.fileno(), set_size, PIPE_SIZE)


_worker: SignatureProcess | None = None
_worker_lock = threading.Lock()


def claimed_worker() -> SignatureProcess | None:
    """This process's signature worker, started when first needed and claimed for one
    batch; None when another batch has it or it cannot be started (then threads check)."""
    global _worker
    with _worker_lock:
        if _worker is not None and _worker.pid != os.getpid():
            _worker.forget()  # a forked child's copy of its parent's
            _worker = None
        elif _worker is not None and not _worker.alive():
            _worker.close()  # a dead one (killed)
            _worker = None
        if _worker is None:
            try:
                _worker = SignatureProcess()
            except OSError:
                return None
        return _worker if _worker.claim() else None


@atexit.register
def _close() -> None:
    if _worker is not None and _worker.pid == os.getpid():
        _worker.close()


if __name__ == "__main__":
    main()
