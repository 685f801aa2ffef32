"""The signature worker process: large batches' hashes and signatures are checked in a
process of its own (labctl.registry.signature_process). What it finds must refuse the
batch exactly as a check in the pushing thread does; a worker that dies (killed from
outside) must cost nothing but time; its pipe must never deadlock."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from service_support import Service, make_tokens

from labctl.registry import signature_batch, signature_process
from labctl.registry.canonical import canonical_json
from labctl.registry.errors import RegistryError
from labctl.registry.signature_batch import PROCESSES_FROM, RecordChecks
from labctl.registry.signature_process import (
    HASHED_TEXT,
    NOT_CUT,
    WHOLE_TEXT,
    check_bytes,
    claimed_worker,
)
from labctl.registry.signing import raw_public_key
from labctl.registry.store import open_registry

pytestmark = pytest.mark.skipif(os.cpu_count() == 1, reason="one core: no worker is used")


def _items(key: Ed25519PrivateKey, n: int, bad: dict[int, str]) -> list:
    """``n`` checks of small texts; ``bad`` maps a position to what is wrong there."""
    raw = raw_public_key(key.public_key())
    out = []
    for i in range(n):
        hashed = f'{{"i":{i},"pad":"{"x" * 3000}"}}'.encode()  # kilobytes, as records are
        digest = hashlib.sha256(hashed).hexdigest()
        signer = Ed25519PrivateKey.generate() if bad.get(i) == "signature" else key
        signature = base64.b64encode(signer.sign(bytes.fromhex(digest))).decode("ascii")
        if bad.get(i) == "content":
            hashed += b" "
        elif bad.get(i) == "malformed":
            signature = "not base64"
        out.append((raw, signature, digest, hashed))
    return out


def _checked(items: list, kill_after: int | None = None) -> list[int]:
    checks = RecordChecks(len(items))
    for start in range(0, len(items), 25):
        if kill_after is not None and start == kill_after:
            worker = signature_process._worker
            assert worker is not None
            os.kill(worker._proc.pid, signal.SIGKILL)
            worker._proc.wait()
        checks.add(items[start:start + 25])
    return checks.failed()


def test_a_large_batch_is_checked_by_the_worker_process(lab_key):
    bad = {3: "signature", 77: "content", 150: "malformed", 199: "signature"}
    items = _items(lab_key, 200, bad)
    assert _checked(items) == sorted(bad)
    worker = signature_process._worker
    assert worker is not None and worker.alive() and worker.unread == 0


def test_a_worker_killed_in_the_middle_of_a_batch_costs_nothing_but_time(lab_key):
    bad = {10: "signature", 130: "content", 180: "signature"}
    items = _items(lab_key, 200, bad)
    _checked(items[:PROCESSES_FROM])  # the worker runs
    assert _checked(items, kill_after=100) == sorted(bad)
    # the next batch gets a new worker
    assert _checked(items) == sorted(bad)
    assert signature_process._worker is not None and signature_process._worker.alive()


def test_answers_are_read_before_the_pipe_could_fill(lab_key, monkeypatch):
    monkeypatch.setattr(signature_batch, "MAX_UNREAD", 30)
    bad = {0: "content", 64: "signature", 199: "malformed"}
    assert _checked(_items(lab_key, 200, bad)) == sorted(bad)


def test_two_batches_at_once_share_out_the_worker(lab_key):
    bad = {5: "signature", 120: "content"}
    items = _items(lab_key, 150, bad)
    results: list[list[int]] = []

    def check() -> None:
        results.append(_checked(items))

    threads = [threading.Thread(target=check) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [sorted(bad)] * 3


def test_a_bad_record_in_a_large_push_refuses_the_batch(sqlite_url, signed_chain, lab_key):
    records = signed_chain(PROCESSES_FROM + 20)
    bad_at = 60
    records[bad_at] = records[bad_at].model_copy(update={"operator": "someone else"})
    with open_registry(sqlite_url) as reg:
        with pytest.raises(RegistryError, match=rf"{records[bad_at].id[:8]}.*hash mismatch"):
            reg.push_many(records, lab_key.public_key())
        assert reg.count() == 0
        good = signed_chain(PROCESSES_FROM + 20)
        assert all(r.created for r in reg.push_many(good, lab_key.public_key()))
        assert reg.count() == len(good) and reg.verify_chain(good[0].lab) == []
    assert signature_process._worker is not None and signature_process._worker.unread == 0


def test_the_worker_answers_its_protocol_and_ends_with_its_input(lab_key):
    raw = raw_public_key(lab_key.public_key())
    doc = {"a": 1, "hash": "", "signature": "", "z": [2]}
    hashed = canonical_json({"a": 1, "z": [2]})
    digest = hashlib.sha256(hashed).digest()
    good = lab_key.sign(digest)
    signature_text = base64.b64encode(good)
    doc.update({"hash": digest.hex(), "signature": signature_text.decode()})
    whole = canonical_json(doc)
    twice = whole.replace(b'"z":[2]', b'"z":[' + whole + b"]")  # the members occur twice
    checks = [check_bytes(HASHED_TEXT, raw, good, digest, hashed),
              check_bytes(HASHED_TEXT, raw, good, digest, hashed + b" "),  # not the text
              check_bytes(HASHED_TEXT, raw, bytes(64), digest, hashed),  # not the signature
              check_bytes(WHOLE_TEXT, raw, good, digest, whole, signature_text),
              check_bytes(WHOLE_TEXT, raw, good, digest, whole.replace(b'"a":1', b'"a":3'),
                          signature_text),
              check_bytes(WHOLE_TEXT, raw, good, digest, twice, signature_text)]
    request = struct.pack("<I", len(checks)) + b"".join(checks)
    done = subprocess.run([sys.executable, "-m", "labctl.registry.signature_process"],
                          input=request + request[:10], capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout == bytes([1, 0, 0, 1, 0, NOT_CUT])


def test_a_record_the_worker_cannot_cut_is_checked_in_the_pushing_process(lab_key):
    raw = raw_public_key(lab_key.public_key())
    items = _items(lab_key, PROCESSES_FROM, {3: "content"})

    class Whole:
        """A canonical document whose members the worker will not find once."""

        def __init__(self, hashed: bytes, signature: str, digest: str):
            self.hashed = hashed
            member = f'"signature":"{signature}"'.encode()
            self.whole = b'{"hash":"' + digest.encode() + b'",' + member + b',"x":[' + \
                member + b"]}"

        def json(self, *, without: tuple[str, ...] = ()) -> bytes:
            return self.hashed if without else self.whole

    items[10] = (raw, items[10][1], items[10][2], Whole(items[10][3], items[10][1],
                                                        items[10][2]))
    assert _checked(items) == [3]


def test_a_forked_child_starts_a_worker_of_its_own(lab_key):
    items = _items(lab_key, PROCESSES_FROM, {7: "signature"})
    assert _checked(items) == [7]  # the parent's worker exists now
    parent_worker = signature_process._worker
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        child = pool.apply_async(_checked_in_child, (items,)).get(timeout=120)
    assert child[0] == [7] and child[1] != parent_worker._proc.pid  # type: ignore[union-attr]
    assert claimed_worker() is parent_worker  # the parent's own is untouched
    parent_worker.release()  # type: ignore[union-attr]


def _checked_in_child(items: list) -> tuple[list[int], int]:
    failed = _checked(items)
    worker = signature_process._worker
    assert worker is not None
    return failed, worker._proc.pid


_PUSHER = r'''
import sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
sys.path.insert(0, sys.argv[2])
from bench_registry import _records
from labctl.registry import signature_process
from labctl.registry.store import open_registry

key = Ed25519PrivateKey.from_private_bytes(bytes(32))
records = _records(2000, key)
with open_registry(sys.argv[1]) as reg:
    reg.register_key(key.public_key())
    for start in range(0, len(records), 200):
        reg.push_many(records[start:start + 200])
        if start == 0:
            print(signature_process._worker._proc.pid, flush=True)
'''


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # ended (a zombie waits for an init that may not reap)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_a_pusher_killed_by_sigkill_leaves_no_worker_and_no_half_batch(tmp_path):
    """kill -9 of the pushing process in the middle of its batches: its worker ends with
    its input, and the registry holds whole batches only, its chain intact."""
    url = f"sqlite:///{(tmp_path / 'r.db').as_posix()}"
    benchmarks = str(Path(__file__).resolve().parents[2] / "benchmarks")
    pusher = subprocess.Popen([sys.executable, "-c", _PUSHER, url, benchmarks],
                              stdout=subprocess.PIPE, text=True)
    assert pusher.stdout is not None
    worker_pid = int(pusher.stdout.readline())  # the first batch is in
    os.kill(pusher.pid, signal.SIGKILL)
    pusher.wait()
    for _ in range(600):  # the worker reads the end of its input and ends
        if _gone(worker_pid):
            break
        time.sleep(0.05)
    assert _gone(worker_pid)
    with open_registry(url) as reg:
        assert reg.count() % 200 == 0 and reg.count() >= 200
        assert reg.verify_chain("Bench Lab") == []


@pytest.mark.realtime
def test_a_large_batch_over_http_is_checked_by_the_services_signature_worker(
        registry_url, signed_chain, lab_key, monkeypatch):
    """The service (in this process) hands a request's 150 records to its signature
    worker: a changed record among them refuses the request, nothing stored; the batch as
    signed is stored whole and its chain verifies."""
    claimed: list[object] = []

    def claim() -> object:
        worker = claimed_worker()
        claimed.append(worker)
        return worker

    monkeypatch.setattr(signature_batch, "claimed_worker", claim)
    monkeypatch.setenv("LABCTL_REGISTRY_TOKEN", make_tokens(registry_url)["bench"])
    service = Service(registry_url)
    service.start()
    try:
        records = signed_chain(150)
        changed = records[120].model_copy(update={"operator": "someone else"})
        with open_registry(service.url) as remote:
            with pytest.raises(RegistryError, match=rf"{changed.id[:8]}.*hash mismatch"):
                remote.push_many(records[:120] + [changed] + records[121:],
                                 lab_key.public_key())
            assert all(r.created for r in remote.push_many(records, lab_key.public_key()))
    finally:
        service.stop()
    assert claimed and all(worker is not None for worker in claimed)
    with open_registry(registry_url) as reg:
        assert reg.count() == 150 and reg.verify_chain(records[0].lab) == []


def test_a_push_that_fails_before_its_checks_leaves_the_worker_free(sqlite_url, signed_chain,
                                                                   lab_key, monkeypatch):
    from labctl.registry import store
    from labctl.registry.errors import RegistryUnavailable

    records = signed_chain(PROCESSES_FROM)

    def unreachable(*args: object) -> None:
        raise RegistryUnavailable("the database went away", where="test")

    with open_registry(sqlite_url) as reg:
        reg.register_key(lab_key.public_key())
        with monkeypatch.context() as patched:
            patched.setattr(store, "_ChainAppend", unreachable)
            with pytest.raises(RegistryUnavailable):
                reg.push_many(records)
        worker = claimed_worker()
        assert worker is not None  # not left claimed by the failed push
        worker.release()
        assert len(reg.push_many(records)) == PROCESSES_FROM
