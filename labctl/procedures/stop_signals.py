"""Ctrl-C, SIGTERM and SIGHUP during a run: noted by the signal handler, acted on by the
run loop.

A handler that raised an exception could land between any two bytecodes of the run,
in the middle of a journal write, and on any thread's behalf (the operating system
delivers a process signal to whichever thread does not block it). So the handlers
installed by ``stop_on_signals`` only record which signal came; the runner calls
``raise_if_stopped`` between actions and readings, and the record stage between its
parts, and there a ``StopRequested`` (a ``KeyboardInterrupt``) ends the run the way
Ctrl-C always did: every instrument in its safe state, ``run_finished`` journalled
(aborted, with the signal named), the run resumable with ``labctl run --resume``.

Waits that no journal write is part of (a real-time sleep, the operator's prompt) run
inside ``interruptible()``: a signal arriving there raises at once, so a long settle
time or an unanswered prompt does not hold the stop back.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

#: The signals that stop a run, and how the journal names them.
STOP_SIGNALS: tuple[str, ...] = ("SIGINT", "SIGTERM", "SIGHUP")

_REASONS = {
    "SIGINT": "interrupted by the operator (Ctrl-C, SIGINT)",
    "SIGTERM": "stopped by signal SIGTERM",
    "SIGHUP": "stopped by signal SIGHUP (the terminal was closed)",
}


class StopRequested(KeyboardInterrupt):
    """A stop signal arrived; raised where the run can stop cleanly."""

    def __init__(self, signal_name: str) -> None:
        self.signal_name = signal_name
        super().__init__(_REASONS.get(signal_name, f"stopped by signal {signal_name}"))


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: str | None = None
        self.installed = 0
        self.interruptible = False


_state = _State()


def _handler(signum: int, _frame: object) -> None:
    name = signal.Signals(signum).name
    # No lock here: the handler runs in the main thread between two bytecodes, possibly
    # while that thread holds the lock; one assignment of a str is atomic.
    if _state.received is None:
        _state.received = name
    if _state.interruptible:
        raise StopRequested(_state.received)


def requested() -> str | None:
    """The name of the stop signal received while the handlers were installed, if any."""
    return _state.received


def raise_if_stopped() -> None:
    """Raise ``StopRequested`` if a stop signal has arrived (a safe place to stop)."""
    name = _state.received
    if name is not None:
        raise StopRequested(name)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """A wait during which a stop signal raises at once (no journal write inside)."""
    previous = _state.interruptible
    _state.interruptible = True
    try:
        raise_if_stopped()
        yield
    finally:
        _state.interruptible = previous


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Install the noting handlers of SIGINT, SIGTERM and SIGHUP for the block (main
    thread only; elsewhere nothing is installed and the block runs as it is). The
    previous handlers come back at the end; a signal noted is forgotten on entry."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with _state.lock:
        _state.received = None
        _state.installed += 1
    previous = {}
    for name in STOP_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, _handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        with _state.lock:
            _state.installed -= 1
            if _state.installed == 0:
                _state.received = None
                _state.interruptible = False
