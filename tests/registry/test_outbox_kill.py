"""``registry deliver`` killed with SIGKILL in the middle of a backlog, at different
moments (right after a push, before or while the outbox marks it delivered): the next
delivery ends the work, and the registry holds every record exactly once, as the
outbox holds it, on one unbroken chain."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from labctl.registry.outbox import Outbox
from labctl.registry.store import open_registry

# The child delivers the outbox in batches of 5 through a registry that says so after
# each push returns (before the outbox marks the batch delivered).
_DELIVERER = textwrap.dedent("""
    import sys
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from labctl.registry.outbox import Outbox
    from labctl.registry.store import open_registry

    key = load_pem_private_key(open(sys.argv[3], "rb").read(), None)
    registry = open_registry(sys.argv[2])

    class Saying:
        url = registry.url

        def push_many(self, records, *args, **kwargs):
            results = registry.push_many(records, *args, **kwargs)
            print(len(results), flush=True)
            return results

        def last_hash(self, lab):
            return registry.last_hash(lab)

    Outbox(sys.argv[1], key=key).deliver(Saying(), batch=5)
    print("done", flush=True)
""")


@pytest.mark.parametrize("seed", range(4))
def test_a_delivery_killed_midway_is_finished_by_the_next(seed, make_record, lab_key,
                                                          sqlite_url, tmp_path):
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    rng = random.Random(seed)
    key_file = tmp_path / "lab.pem"
    key_file.write_bytes(lab_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8,
                                               NoEncryption()))
    outbox = Outbox(tmp_path / "outbox.db", key=lab_key)
    records = [outbox.put(make_record(), sqlite_url) for _ in range(40)]
    pushes_before_kill = 1 + 2 * seed  # of the 8 batches
    proc = subprocess.Popen([sys.executable, "-c", _DELIVERER, str(outbox.path), sqlite_url,
                             str(key_file)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for pushes, line in enumerate(proc.stdout, start=1):
        assert line.strip() != "done", "the delivery ended before it was killed"
        if pushes == pushes_before_kill:
            # now, or a little later: while the outbox marks the batch, or after
            time.sleep(rng.choice([0.0, 0.0005, 0.002, 0.01]))
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with open_registry(sqlite_url) as reg:
        assert reg.count() >= 5 * pushes_before_kill  # the pushes it said had returned
    report = outbox.deliver(sqlite_url)
    assert report.ok and report.pending == [] and outbox.pending(sqlite_url) == []
    assert {outbox.state(r.id) for r in records} == {"delivered"}
    with open_registry(sqlite_url) as reg:
        assert reg.count() == 40
        assert [reg.get(r.id) for r in records] == [outbox.get(r.id) for r in records]
        assert reg.verify_chain(records[0].lab) == []
        assert reg.last_hash(records[0].lab) == outbox.get(records[-1].id).hash
    [checkpoint] = outbox.checkpoints(sqlite_url)
    assert checkpoint.record_id == records[-1].id and checkpoint.signature_ok
