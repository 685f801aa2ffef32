"""``labctl sim serve`` in a subprocess, for the tests that talk to it over loopback.

Import it as ``from simserve_for_tests import serve, served_addresses, stop``: ``tests/``
is on ``sys.path`` (pytest puts it there for ``tests/conftest.py``, which has no
``__init__.py`` beside it).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import pytest


def serve(bench: Path, *args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    """``python -m labctl.cli sim serve BENCH ARGS...``, its output unbuffered and piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "labctl.cli", "sim", "serve", str(bench), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _lines(stream: Iterable[str], out: queue.Queue[str]) -> None:
    for line in stream:
        out.put(line)


def served_addresses(proc: subprocess.Popen[str], count: int,
                     timeout: float) -> dict[str, list[str]]:
    """The first ``count`` lines the server prints (``name: address address ...``) as
    instrument -> its addresses; the test fails if they do not come within ``timeout``
    seconds. The rest of its output is read on in the background (the pipe never fills).
    """
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    addresses: dict[str, list[str]] = {}
    deadline = time.monotonic() + timeout
    while len(addresses) < count:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            proc.kill()
            pytest.fail(f"labctl sim serve printed no addresses: {proc.stderr.read()}")
        name, _, rest = line.strip().partition(": ")
        addresses[name] = rest.split()
    return addresses


def stop(proc: subprocess.Popen[str]) -> str:
    """Stop the server with SIGTERM; its standard error. A server that does not stop
    within 5 s is killed and the timeout raised."""
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return err
