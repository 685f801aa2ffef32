"""A process that runs ``labctl`` commands one after another, for the interruption tests.

Start it with ``python e2e_worker.py``; write one JSON line per command on its standard
input: ``{"argv": ["run", ...], "env": {"NAME": "value" or null}}``. It sets (or, for
null, removes) those environment variables, runs ``labctl.cli.main(argv)`` in this
process, and writes ``labctl-test-worker: status N`` on its standard error. The
journal's test hook (``LABCTL_TEST_JOURNAL_HOLD``) writes its marker on the same stream,
so the test in another process reads one stream and sends its signal, or kill -9, when
the run is at the chosen journal line.

One process serves many runs, so a trial pays for Python's imports once: a signal only
stops the run (the handlers note it; the run loop acts), the worker goes on.
"""

from __future__ import annotations

import json
import os
import sys

STATUS_MARKER = "labctl-test-worker: status"


def serve() -> int:
    from labctl.cli import main

    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        for name, value in (command.get("env") or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = str(value)
        try:
            status = main(list(command["argv"]))
        except KeyboardInterrupt:  # a signal between two runs: report it, go on
            status = 130
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(2, f"{STATUS_MARKER} {status}\n".encode())
    return 0


if __name__ == "__main__":
    sys.exit(serve())
