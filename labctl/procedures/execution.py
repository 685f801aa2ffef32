"""What an action's ``execute`` hook gets from the runner (``Execution``), and how a
reading is journaled (``emit_reading``).

The runner owns the order, the state and the journal; an action only asks its
instruments, waits through ``sleep`` (a clock wait watched for the conditions and for
aborts), calls ``before_reading`` before a reading the conditions must cover, asks the
operator through ``prompt`` (the runner's operator channel, never ``sys.stdin``) and
journals what it did through ``emit`` before it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from labctl.procedures.journal import unit_text

Emit = Callable[..., dict[str, Any]]
Prompt = Callable[[str], str]


@dataclass
class Execution:
    """Everything an action needs from the runner, for one action."""

    instruments: Mapping[str, Any]      # role -> instrument
    emit: Emit                          # journal an event (before anyone sees it)
    sleep: Callable[[float], None]      # a clock wait watched for conditions and aborts
    before_reading: Callable[[], None]  # the conditions check due before every reading
    prompt: Prompt
    tags: Mapping[str, Any]             # step, point, attempt for the events
    now: Callable[[], float] = lambda: 0.0  # the clock's time, in seconds

    def do(self, action: Any) -> None:
        """Execute another planned action (a family action made of others)."""
        from labctl.procedures.action_models import action_class

        action_class(action.kind).execute(action, self)


def emit_reading(ex: Execution, role: str, name: str, reading: Any,
                 **extras: Any) -> dict[str, Any]:
    """Journal a ``reading`` event: the value with its unit, the instrument's stability
    flag, its status flags, the other values of the reply, the raw reply, and the
    action's ``extras`` (a typed mapping: the family's own keys)."""
    value = reading.value
    fields: dict[str, Any] = {
        "role": role, "name": name,
        "value": None if value is None else float(value.magnitude),
        "unit": "" if value is None else unit_text(value.units),
        "stable": None if reading.stable is None else bool(reading.stable),
        "raw": str(reading.raw),
    }
    flags = sorted(getattr(reading, "flags", ()) or ())
    if flags:
        fields["flags"] = flags
    values = getattr(reading, "values", None) or {}
    if values:
        fields["values"] = {k: {"value": float(q.magnitude), "unit": unit_text(q.units)}
                            for k, q in values.items()}
    if extras:
        fields["extras"] = extras
    return ex.emit("reading", **ex.tags, **fields)


def console_prompt(message: str) -> str:
    """Ask on the console and wait for Enter; the answer is what was typed."""
    from labctl.procedures.stop_signals import interruptible

    try:
        with interruptible():  # Ctrl-C at the prompt stops the run at once
            return input(f"{message} [Enter] ")
    except EOFError:
        from labctl.errors import RunError

        raise RunError(f"no answer from the operator to {message!r}: the input is closed",
                       hint="run interactively, or give the run a prompt function") from None
