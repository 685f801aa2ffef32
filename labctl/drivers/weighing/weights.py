"""Weight handlers: who puts the standard weights on the load receptor.

``AutoWeightLoader`` drives an automatic weight loader (labctl's simulated one, or any
device speaking its line protocol, see ``labctl.sim.weighing.weight_loader_sim``)::

    *IDN?                     <maker>,<model>,<serial>,<firmware>
    LOAD <position> <id>,...  OK | ERR <reason>      put weights on an empty receptor
    ADD <position> <id>,...   OK | ERR <reason>      add weights to those already there
    UNLOAD                    OK | ERR <reason>      take every weight off
    STAT?                     EMPTY | LOADED <position> <id>,...
    POS?                      <position>,...         positions the loader reaches

A move takes seconds of clock time and ``OK`` comes when the weights rest on the
receptor: ``LOAD``, ``ADD`` and ``UNLOAD`` wait up to the ``move_timeout`` option
(default 120 s). ``safe_state()`` unloads. A move whose reply is lost or garbled is never
sent again blindly: ``STAT?`` says whether it was made (confirmed), or not at all (sent
once more); anything else is an error.

``ManualWeights`` is the operator at the console: it prints which weights (register id
and, when known, nominal value) to put where, and waits for Enter. It has no wire, so
``needs_transport = False``: the bench builds it with ``transport=None`` (the resource
``console://`` or none at all) and it talks through ``input``/``output`` text streams
(the process's stdin/stdout by default; tests pass their own). Options: ``weights``
(register id -> nominal value, e.g. ``{W1: 2 kg}``, shown to the operator). A nominal
total for the load can also come in ``WeightLoad.extras["nominal"]``. Answering ``a``
(abort) or closing the input stops with an ``InstrumentError``. ``safe_state()`` asks
the operator to take the weights off, without waiting.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar, TextIO

from labctl import __version__
from labctl.drivers.base import Instrument, idempotent, option_seconds
from labctl.drivers.capabilities import Identity
from labctl.drivers.weighing.capabilities import WeightLoad
from labctl.errors import ConfigError, InstrumentError
from labctl.register.weighing import weights_of
from labctl.transport.base import Transport

POSITIONS = ("centre", "front", "back", "left", "right")
#: (position or None, weight ids) standing on the receptor
Held = tuple[str | None, tuple[str, ...]]
DEFAULT_MOVE_TIMEOUT = 120.0  # s


def _check_ids(instrument: str, load: WeightLoad) -> None:
    if not load.weights:
        raise ConfigError("a load without weights", where=f"instrument {instrument!r}",
                          hint="use remove_all() to unload")
    for wid in load.weights:
        if not wid or any(c in wid for c in " ,\t\r\n"):
            raise ConfigError(f"weight id {wid!r} cannot be sent: ids hold no blanks or commas",
                              where=f"instrument {instrument!r}")
    if len(set(load.weights)) != len(load.weights):
        raise ConfigError(f"a weight appears twice in {', '.join(load.weights)}",
                          where=f"instrument {instrument!r}")


class AutoWeightLoader(Instrument):
    """An automatic weight loader (the simulated ``weight-loader`` and compatible ones)."""

    maker = "labctl"
    capabilities = ("weight_handler",)
    option_names: ClassVar[frozenset[str]] = frozenset({"move_timeout"})
    option_units: ClassVar[dict[str, str]] = {"move_timeout": "s"}

    @classmethod
    def simulation_params(cls, parts: tuple[Any, ...], world: Any) -> dict[str, Any]:
        """The simulated loader's magazine: the true masses of the bench's weights."""
        from labctl.sim.weighing.weight_loader_sim import true_weights

        return {"weights": true_weights(weights_of(parts), world)}

    def __init__(self, transport: Transport | None, *, name: str, **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        self.move_timeout = option_seconds(name, self.options, "move_timeout",
                                           DEFAULT_MOVE_TIMEOUT) or DEFAULT_MOVE_TIMEOUT
        #: what this driver's moves left on the receptor (None: not known yet, until
        #: the first LOAD or UNLOAD)
        self._held: Held | None = None

    def _move(self, command: str, after: Held | None = None) -> None:
        """Send a move. A move changes what stands on the receptor: never sent again
        blindly. When its reply is lost or garbled, ``STAT?`` is read: the load ``after``
        the move confirms it; the load from before (the move did nothing) has it sent
        once more; anything else (or a load this driver does not know) is an error."""
        before, self._held = self._held, None   # unknown until the move is done
        if after is None or before is None:
            self._send_move(command)
        else:
            self.confirmed_by_state(command.split()[0], lambda: self._send_move(command),
                                    lambda: self._holds(after), lambda: self._holds(before))
        self._held = after

    def _holds(self, held: Held) -> bool:
        position, weights = self.status()
        return (position if weights else None, sorted(weights)) == \
            (held[0] if held[1] else None, sorted(held[1]))

    def _send_move(self, command: str) -> None:
        with self.timeout(self.move_timeout):
            reply = self.query(command)
        if reply == "OK":
            return
        if reply.startswith("ERR"):
            raise InstrumentError(f"the loader refused: {reply[3:].strip() or 'no reason'}",
                                  instrument=self.name, command=command, reply=reply,
                                  hint="check the weight ids and positions against the "
                                       "loader's magazine (sim: the 'weights' parameter)")
        raise InstrumentError("unexpected reply from the loader", instrument=self.name,
                              command=command, reply=reply, hint="expected OK or ERR <reason>")

    def place(self, load: WeightLoad) -> None:
        """``LOAD``: put the weights on the empty load receptor at ``load.position``."""
        _check_ids(self.name, load)
        self._move(f"LOAD {load.position} {','.join(load.weights)}",
                   (load.position, tuple(load.weights)))

    def add(self, load: WeightLoad) -> None:
        """``ADD``: add the weights to the load already at ``load.position``."""
        _check_ids(self.name, load)
        held = self._held
        after = None if held is None else (held[0] or load.position,
                                           held[1] + tuple(load.weights))
        self._move(f"ADD {load.position} {','.join(load.weights)}", after)

    def remove(self, pieces: tuple[str, ...]) -> None:
        """``REMOVE``: take these weights off, the others staying on the receptor."""
        _check_ids(self.name, WeightLoad(weights=tuple(pieces)))
        held = self._held
        after = None
        if held is not None and set(pieces) <= set(held[1]):
            rest = tuple(w for w in held[1] if w not in pieces)
            after = (held[0] if rest else None, rest)
        self._move(f"REMOVE {','.join(pieces)}", after)

    def remove_all(self) -> None:
        """``UNLOAD``: take every weight off."""
        self._move("UNLOAD", (None, ()))

    @idempotent
    def status(self) -> tuple[str | None, tuple[str, ...]]:
        """``STAT?``: (position, weight ids) on the receptor; (None, ()) when empty."""
        reply = self.query("STAT?")
        if reply == "EMPTY":
            return None, ()
        parts = reply.split()
        if len(parts) == 3 and parts[0] == "LOADED":
            return parts[1], tuple(parts[2].split(","))
        raise InstrumentError("unexpected status reply", instrument=self.name,
                              command="STAT?", reply=reply,
                              hint="expected EMPTY or LOADED <position> <id>,...")

    def positions(self) -> tuple[str, ...]:
        """``POS?``: the positions the loader reaches."""
        return tuple(p for p in self.query("POS?").split(",") if p)

    def identify(self) -> Identity:
        reply = self.query("*IDN?")
        parts = [p.strip() for p in reply.split(",")]
        if len(parts) < 3:
            raise InstrumentError("unexpected *IDN? reply", instrument=self.name,
                                  command="*IDN?", reply=reply,
                                  hint="expected maker,model,serial,firmware")
        return Identity(maker=parts[0], model=parts[1], serial=parts[2],
                        firmware=parts[3] if len(parts) > 3 else "")

    def safe_state(self) -> None:
        """Take the weights off the receptor (nothing left to creep or overload)."""
        self.remove_all()


class ManualWeights(Instrument):
    """The operator places the weights, told on the console which and where."""

    maker = "labctl"
    capabilities = ("weight_handler",)
    option_names: ClassVar[frozenset[str]] = frozenset({"weights"})

    @classmethod
    def options_from_standards(cls, parts: tuple[Any, ...]) -> dict[str, Any]:
        """The weights the operator is shown: each of the bench's by its nominal value."""
        return {"weights": {w.id: f"{w.nominal.magnitude:g} {w.nominal.units:~P}"
                            for w in weights_of(parts)}}
    needs_transport = False

    def __init__(self, transport: Transport | None = None, *, name: str,
                 input: TextIO | None = None, output: TextIO | None = None,  # noqa: A002
                 **options: Any) -> None:
        super().__init__(transport, name=name, **options)
        self.input = input
        self.output = output
        weights = self.options.get("weights") or {}
        if not isinstance(weights, dict):
            raise ConfigError("weights must map register ids to nominal values",
                              where=f"instrument {name!r}, option 'weights'")
        self.nominals: dict[str, str] = {str(k): str(v) for k, v in weights.items()}
        self.on_receptor: list[str] = []
        self.position: str | None = None

    def _out(self) -> TextIO:
        return self.output if self.output is not None else sys.stdout

    def _in(self) -> TextIO:
        return self.input if self.input is not None else sys.stdin

    def _describe(self, ids: tuple[str, ...] | list[str]) -> str:
        return ", ".join(f"{w} ({self.nominals[w]})" if w in self.nominals else w for w in ids)

    def _ask(self, command: str, text: str) -> None:
        self.activity += 1
        out = self._out()
        out.write(f"[{self.name}] {text}\n  Press Enter when done (a = abort): ")
        out.flush()
        answer = self._in().readline()
        if answer == "":
            raise InstrumentError("no answer from the operator (the input is closed)",
                                  instrument=self.name, command=command,
                                  hint="run interactively, or use an automatic loader")
        if answer.strip().lower() in ("a", "abort"):
            raise InstrumentError("the operator aborted", instrument=self.name,
                                  command=command, reply=answer.strip())

    def _total(self, load: WeightLoad) -> str:
        nominal = load.extras.get("nominal")
        return f" (together {nominal})" if nominal else ""

    def place(self, load: WeightLoad) -> None:
        _check_ids(self.name, load)
        if self.on_receptor:
            self._ask("remove", f"Take off {self._describe(self.on_receptor)}.")
            self.on_receptor.clear()
        self._ask("place", f"Place on the {load.position} of the load receptor: "
                           f"{self._describe(load.weights)}{self._total(load)}.")
        self.on_receptor = list(load.weights)
        self.position = load.position

    def add(self, load: WeightLoad) -> None:
        _check_ids(self.name, load)
        twice = [w for w in load.weights if w in self.on_receptor]
        if twice:
            raise ConfigError(f"{', '.join(twice)} already on the receptor",
                              where=f"instrument {self.name!r}")
        self._ask("add", f"Add at the {load.position}: {self._describe(load.weights)}"
                         f"{self._total(load)}.")
        self.on_receptor.extend(load.weights)
        self.position = load.position

    def remove(self, pieces: tuple[str, ...]) -> None:
        missing = [w for w in pieces if w not in self.on_receptor]
        if missing:
            raise ConfigError(f"{', '.join(missing)} not on the receptor",
                              where=f"instrument {self.name!r}",
                              hint="take off only weights that were put on")
        self._ask("remove", f"Take off, leaving the rest on the receptor: "
                            f"{self._describe(list(pieces))}.")
        for w in pieces:
            self.on_receptor.remove(w)
        if not self.on_receptor:
            self.position = None

    def remove_all(self) -> None:
        if not self.on_receptor:
            return
        self._ask("remove", f"Take every weight off the load receptor "
                            f"({self._describe(self.on_receptor)}).")
        self.on_receptor.clear()
        self.position = None

    def identify(self) -> Identity:
        return Identity(maker="labctl", model="manual weight handling", serial="operator",
                        firmware=__version__)

    def safe_state(self) -> None:
        """Tell the operator to take the weights off; does not wait (teardown must end)."""
        if self.on_receptor:
            out = self._out()
            out.write(f"[{self.name}] Stopped: please take {self._describe(self.on_receptor)} "
                      f"off the load receptor.\n")
            out.flush()
