"""Executing one planned action on the bench's instruments (docs/contracts.md, the
action vocabulary), journaling what it did through ``emit``.

The runner owns the order, the state and the journal; this module only knows what each
action asks of a capability: ``zero``/``tare``/``clear_tare``/``read`` of a ``Scale``,
``load``/``unload`` of a ``WeightHandler``, ``wait`` on the clock (through the
conditions watch), ``prompt`` to the operator, ``change_point`` (the OIML R 76-1
A.4.4.3 method: small weights added one step at a time until the indication rises) and
``discrimination`` (R 76-1 A.4.8.2: small weights taken off one at a time until the
indication falls by d, one put back, then 1.4 d added).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from labctl.drivers.weighing.capabilities import WeightLoad
from labctl.procedures.journal import unit_text
from labctl.procedures.plan import PlannedAction

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


def execute(action: PlannedAction, ex: Execution) -> None:
    """Do ``action``; every event it causes is emitted before it returns."""
    _EXECUTORS[action.kind](action, ex)


def _zero(action: PlannedAction, ex: Execution) -> None:
    ex.instruments[action.role].zero()


def _clear_tare(action: PlannedAction, ex: Execution) -> None:
    ex.instruments[action.role].clear_tare()


def _tare(action: PlannedAction, ex: Execution) -> None:
    ex.before_reading()
    reading = ex.instruments[action.role].tare()
    _emit_reading(ex, action.role, action.args["name"], reading)


def _read(action: PlannedAction, ex: Execution) -> None:
    a = action.args
    scale = ex.instruments[action.role]
    for i in range(a["count"]):
        if i and a["interval"] > 0:
            ex.sleep(a["interval"])
        ex.before_reading()
        reading = (scale.read_stable(timeout=a["timeout"]) if a["mode"] == "stable"
                   else scale.read_immediate())
        _emit_reading(ex, action.role, a["name"], reading)


def _load(action: PlannedAction, ex: Execution) -> None:
    a = action.args
    handler = ex.instruments[action.role]
    load = WeightLoad(weights=tuple(a["weights"]), position=a["position"])
    (handler.add if a["add"] else handler.place)(load)
    ex.emit("load", **ex.tags, role=action.role, weights=list(load.weights),
            nominal=a["mass"], position=load.position, add=a["add"])


def _unload(action: PlannedAction, ex: Execution) -> None:
    ex.instruments[action.role].remove_all()
    ex.emit("load", **ex.tags, role=action.role, weights=[],
            nominal={"value": 0.0, "unit": "kg"}, position=None, add=False)


def _wait(action: PlannedAction, ex: Execution) -> None:
    ex.sleep(action.args["duration"])


def _prompt(action: PlannedAction, ex: Execution) -> None:
    message = action.args["message"]
    answer = ex.prompt(message)
    ex.emit("prompt", **ex.tags, message=message, answer=answer)


def _change_point(action: PlannedAction, ex: Execution) -> None:
    """Read the indication I, then add ``step`` at a time (with the loader) until the
    indication is at least I + d; every addition is a ``load`` event (when the weight set
    cannot make the new total by adding, everything is taken off and put on again) and
    every reading a ``reading`` named ``as`` with ``change_step`` (0 for I) and, on the
    last one, ``change_found``. The analysis takes dL from the weights added.

    The conditions are checked before I only: the search is one determination of P,
    taking seconds of clock time, so its readings are not each preceded by a reading of
    the environment (the periodic check, ``check_every``, comes with the next point)."""
    a = action.args
    scale, handler = ex.instruments[action.role], ex.instruments[a["loader"]]
    ex.before_reading()
    start = scale.read_stable(timeout=a["timeout"])
    _emit_reading(ex, action.role, a["name"], start, change_step=0)
    last = len(a["increments"])
    for k, inc in enumerate(a["increments"], start=1):
        load = WeightLoad(weights=tuple(inc["weights"]), position=a["position"])
        if inc["add"]:
            handler.add(load)
        else:  # the set cannot make the new total by adding: take all off, put all on
            _unload(PlannedAction("unload", action.where, a["loader"]), ex)
            handler.place(load)
        ex.emit("load", **ex.tags, role=a["loader"], weights=list(load.weights),
                nominal=inc["mass"], position=load.position, add=inc["add"])
        reading = scale.read_stable(timeout=a["timeout"])
        rise = reading.value - start.value
        found = bool(rise >= a["threshold"] * (1 - 1e-9))
        extra = {"change_found": found} if found or k == last else {}
        _emit_reading(ex, action.role, a["name"], reading, change_step=k, **extra)
        if found:
            return


def _discrimination(action: PlannedAction, ex: Execution) -> None:
    """OIML R 76-1 A.4.8.2 (digital indication) on the load standing on the receptor:
    add the N small pieces (0.1 d each) and read I (``<as>_start``); take the pieces off
    one at a time, reading after each (``<as>_step``), until the indication is at most
    I - d; put one piece back and add the extra load (1.4 d) and read (``<as>_extra``):
    a working scale shows I + d. Every reading carries ``discrimination_pieces``, the
    number of small pieces on; the last ``<as>_step`` has ``discrimination_found``
    (false when the indication never fell, with every piece off: then no extra is put
    on). The weight handler only places, adds or takes all off: a piece is taken off by
    unloading and placing the load again with one piece fewer (an unload ``load`` event,
    then one with ``add: false`` and every weight left on). The conditions are checked
    before I only, as for the change point."""
    a = action.args
    scale, handler = ex.instruments[action.role], ex.instruments[a["loader"]]
    pieces: tuple[tuple[str, ...], ...] = a["pieces"]
    n = len(pieces)
    name, position = a["name"], a["position"]

    def put(weights: tuple[str, ...], nominal: Any, add: bool) -> None:
        load = WeightLoad(weights=weights, position=position)
        (handler.add if add else handler.place)(load)
        ex.emit("load", **ex.tags, role=a["loader"], weights=list(load.weights),
                nominal=nominal, position=position, add=add)

    def read(suffix: str, on: int, **extra: Any) -> Any:
        reading = scale.read_stable(timeout=a["timeout"])
        _emit_reading(ex, action.role, f"{name}_{suffix}", reading,
                      discrimination_pieces=on, **extra)
        return reading

    put(tuple(w for p in pieces for w in p), a["step"] * n, True)
    ex.before_reading()
    start = read("start", n)
    limit = start.value - a["threshold"] * (1 - 1e-9)
    for k in range(n - 1, -1, -1):
        # one piece off: everything off, then the load and k pieces placed again
        _unload(PlannedAction("unload", action.where, a["loader"]), ex)
        put((*a["load"], *(w for p in pieces[:k] for w in p)),
            a["load_mass"] + a["step"] * k, False)
        reading = scale.read_stable(timeout=a["timeout"])
        found = bool(reading.value <= limit)
        flag = {"discrimination_found": found} if found or k == 0 else {}
        _emit_reading(ex, action.role, f"{name}_step", reading, discrimination_pieces=k,
                      **flag)
        if found:
            break
    else:  # never fell by d with every piece off: no extra load (the analysis fails it)
        return
    put(pieces[k], a["step"], True)
    put(tuple(a["extra_weights"]), a["extra"], True)
    read("extra", k + 1)


def _emit_reading(ex: Execution, role: str, name: str, reading: Any, **extra: Any) -> None:
    value = reading.value
    ex.emit("reading", **ex.tags, role=role, name=name, value=float(value.magnitude),
            unit=unit_text(value.units), stable=bool(reading.stable),
            overload=bool(reading.overload), underload=bool(getattr(reading, "underload",
                                                                    False)),
            raw=str(reading.raw), **extra)


_EXECUTORS: dict[str, Callable[[PlannedAction, Execution], None]] = {
    "zero": _zero,
    "tare": _tare,
    "clear_tare": _clear_tare,
    "load": _load,
    "unload": _unload,
    "wait": _wait,
    "read": _read,
    "prompt": _prompt,
    "change_point": _change_point,
    "discrimination": _discrimination,
}


def console_prompt(message: str) -> str:
    """Ask on the console and wait for Enter; the answer is what was typed."""
    try:
        return input(f"{message} [Enter] ")
    except EOFError:
        from labctl.errors import RunError

        raise RunError(f"no answer from the operator to {message!r}: the input is closed",
                       hint="run interactively, or give the run a prompt function") from None
