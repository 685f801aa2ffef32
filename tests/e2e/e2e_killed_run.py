"""``labctl run`` that kills itself with SIGKILL right after its N-th reading.

Used by test_e2e_resume.py: ``python e2e_killed_run.py N run PROCEDURE --bench ...``,
and with ``--signal TERM`` first by test_e2e_signals.py (SIGTERM at a known point).
The reading is journalled (and fsync'd) before any ``on_event`` hook sees it, so the
kill leaves a journal that ends with that reading, as ``kill -9`` at that moment would.
The hook is added to the one the command itself passes to ``calibrate``; everything
else is the real command.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import labctl.calibration as calibration
from labctl.cli import main


def killed_run(kill_after: int, argv: list[str], sig: int = signal.SIGKILL) -> int:
    real_calibrate = calibration.calibrate
    readings = 0

    def kill_hook(event: dict[str, Any]) -> None:
        nonlocal readings
        if event["type"] == "reading":
            readings += 1
            if readings == kill_after:
                os.kill(os.getpid(), sig)

    def calibrate(request: Any, *, on_event: Any = None, prompt: Any = None) -> Any:
        hooks = [] if on_event is None else [on_event] if callable(on_event) else list(on_event)
        return real_calibrate(request, on_event=[*hooks, kill_hook], prompt=prompt)

    calibration.calibrate = calibrate  # `labctl run` imports it when it runs
    status = main(argv)
    return 3 if status == 0 else status  # not killed: the test fails on this status


if __name__ == "__main__":
    args = sys.argv[2:]
    chosen = signal.SIGKILL
    if args[:1] == ["--signal"]:
        chosen, args = signal.Signals[f"SIG{args[1]}"], args[2:]
    sys.exit(killed_run(int(sys.argv[1]), args, chosen))
