"""The driver base: ``Instrument`` and the declarative ``setting`` and ``measurement``.

A driver reads like its instrument's manual::

    class AerosolGenerator(Instrument):
        capabilities = ("concentration_source",)
        concentration = setting("SOUR:CONC", "SOUR:CONC?", unit="ug/m^3", limits=(0, 1000))
        flow = measurement("MEAS:FLOW?", unit="L/min")

        def identify(self) -> Identity: ...

- ``query``/``write`` go through the transport (one lock per resource); any
  ``InstrumentError`` coming out of them names the instrument and the command, a
  timeout stays an ``InstrumentTimeout``.
- ``setting`` and ``measurement`` (in ``labctl.drivers.descriptors``, importable from
  here) parse their units once, when the class is created; a ``setting`` checks the
  value against its limits before anything is sent.
- ``capabilities`` holds capability names (keys of ``drivers.capabilities.CAPABILITIES``);
  a class that claims one must define the capability's methods.
- Options come from the bench file's ``options:``; a driver lists the ones it takes in
  ``option_names`` and an unknown one is refused. Transport options (``timeout``,
  ``read_termination``...) are accepted and left to the transport. ``option_quantity``
  and ``option_seconds`` (``labctl.drivers.options``) read the ones with units.
- Before its first command a driver drops whatever waits on the line (a power-on
  message, the reply a previous program left unread): ``discard_input()`` once.
- Byte protocols (HJ 212, Modbus RTU) use ``write_bytes(data, command=...)`` and
  ``read_frame(parser, timeout=...)`` with a parser from ``labctl.protocols.framing``.
- Idempotent queries retry: a method marked ``@idempotent`` (a reading, an
  identification) and every ``measurement`` read are tried again, up to ``retries``
  more times (the bench file's per-instrument ``retries:``, default
  ``DEFAULT_RETRIES``; 0 for a driver built outside a bench), when an
  ``InstrumentError`` other than a lost link comes out (a timeout, a garbled or
  impossible reply); the input is cleared before each new try and ``retry_listener``
  (the runner journals it) hears of every retry. Commands that change the instrument's
  state (zero, tare, a set point, a load) are never retried blindly: they are not
  marked; a driver may pass them through ``confirmed_by_state``, which reads the state
  back after a lost reply and goes on only if the command took effect (or sends it
  again when the state shows it did nothing). A set point (``set_point``) is read back
  after it is sent (``confirm_setting``): a lost set command is found and sent again,
  never taken for done.
- A driver with ``needs_transport = False`` (the operator at the console, for example)
  is built with ``transport=None`` and gets a ``NullTransport``.
"""

from __future__ import annotations

import abc
import functools
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from labctl.drivers.capabilities import CAPABILITIES, Identity
from labctl.drivers.descriptors import measurement, quantity_maker, setting
from labctl.drivers.options import option_quantity, option_seconds
from labctl.errors import ConfigError, InstrumentError, InstrumentTimeout, TransportError
from labctl.transport.base import Transport, TransportOptions

if TYPE_CHECKING:
    from labctl.protocols.framing import FrameParser

T = TypeVar("T")

__all__ = [
    "DEFAULT_RETRIES", "TRANSPORT_OPTION_NAMES", "Instrument", "NullTransport", "RetryInfo",
    "idempotent", "measurement", "option_quantity", "option_seconds", "quantity_maker",
    "setting",
]

#: How many times an idempotent query is tried again after a transient error, unless
#: the bench file gives the instrument its own ``retries:``.
DEFAULT_RETRIES = 2

TRANSPORT_OPTION_NAMES = frozenset(f.name for f in fields(TransportOptions)) | {
    "resource", "baud", "baudrate", "backend"}


# -- the null transport ---------------------------------------------------------
class NullTransport(Transport):
    """The 'connection' of an instrument that has none (an operator at the console).
    Anything sent through it is a bug in the driver and says so."""

    def __init__(self, instrument: str = "") -> None:
        super().__init__("none://", TransportOptions(instrument=instrument or None))
        self.closed = False

    def _refuse(self, what: str) -> TransportError:
        return TransportError(f"cannot {what}: this instrument has no connection",
                              instrument=self.options.instrument)

    def write(self, command: str) -> None:
        raise self._refuse(f"send {command!r}")

    def read(self) -> str:
        raise self._refuse("read a reply")

    def read_bytes(self, count: int) -> bytes:
        raise self._refuse(f"read {count} bytes")

    def close(self) -> None:
        self.closed = True


# -- the instrument -------------------------------------------------------------
class Instrument(abc.ABC):
    """Base of every driver. ``Instrument(transport, name=..., **options)``."""

    capabilities: ClassVar[tuple[str, ...]] = ()
    maker: ClassVar[str] = ""
    option_names: ClassVar[frozenset[str]] = frozenset()
    needs_transport: ClassVar[bool] = True
    # Replies that mean "error" whatever the command, e.g. ("ES", "ET", "EL"); a reply
    # equal to one of them (or starting with it and a blank) raises InstrumentError.
    error_replies: ClassVar[dict[str, str]] = {}
    #: Exchanges with the instrument so far (commands sent, replies read, and for a
    #: driver without a transport its own actions): the bench compares it to know
    #: whether anything happened since the safe states were last applied.
    activity: int = 0
    #: Set once the input was cleared before the first command.
    _input_cleared: bool = False
    #: Further tries of an idempotent query after a transient error. A bench sets it
    #: (the instrument's ``retries:``, default ``DEFAULT_RETRIES``); a driver built
    #: directly (a script, a transcript test) does not retry unless told.
    retries: int = 0
    #: Called with a ``RetryInfo`` before each retry (the runner journals it).
    retry_listener: Callable[[RetryInfo], None] | None = None
    _retrying: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = []
        for cap in cls.capabilities:
            name = cap if isinstance(cap, str) else _capability_name(cap)
            if name not in CAPABILITIES:
                raise TypeError(f"{cls.__name__}: unknown capability {cap!r}; "
                                f"known: {', '.join(sorted(CAPABILITIES))}")
            names.append(name)
        cls.capabilities = tuple(names)
        # (ABCMeta computes __abstractmethods__ only after this hook: look for ourselves)
        abstract = any(getattr(getattr(cls, attr, None), "__isabstractmethod__", False)
                       for attr in dir(cls) if not attr.startswith("__"))
        if not abstract:
            for name in cls.capabilities:
                missing = [m for m in _protocol_methods(CAPABILITIES.get(name))
                           if not callable(getattr(cls, m, None))]
                if missing:
                    raise TypeError(f"{cls.__name__} claims capability {name!r} but lacks "
                                    f"{', '.join(missing)}")
        cls.option_names = frozenset(cls.option_names)

    def __init__(self, transport: Transport | None, *, name: str, **options: Any) -> None:
        if not name:
            raise ConfigError(f"a {type(self).__name__} needs a name")
        self.name = name
        if transport is None:
            if self.needs_transport:
                raise ConfigError(f"{type(self).__name__} needs a connection",
                                  where=f"instrument {name!r}",
                                  hint="give the instrument a resource in the bench file")
            transport = NullTransport(name)
        self.transport = transport
        unknown = sorted(set(options) - self.option_names - TRANSPORT_OPTION_NAMES)
        if unknown:
            known = ", ".join(sorted(self.option_names)) or "none"
            raise ConfigError(f"unknown option{'s' if len(unknown) > 1 else ''} "
                              f"{', '.join(unknown)} for driver {type(self).__name__}",
                              where=f"instrument {name!r}", hint=f"its options: {known}")
        self.options: dict[str, Any] = dict(options)
        self._error_prefixes = tuple(self.error_replies)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} on {self.transport.resource}>"

    # -- retries ---------------------------------------------------------------
    def retrying(self, what: str, call: Callable[[], T]) -> T:
        """``call()``, tried again up to ``retries`` times after a transient
        ``InstrumentError`` (see the module's doc). ``what`` names it for the journal."""
        if self._retrying:  # an idempotent call inside another: the outer one retries
            return call()
        self._retrying = True
        try:
            attempt = 0
            while True:
                try:
                    return call()
                except InstrumentError as err:
                    attempt += 1
                    if attempt > self.retries or not transient(err):
                        raise
                    self._before_retry(what, attempt, err)
        finally:
            self._retrying = False

    def confirmed_by_state(self, what: str, call: Callable[[], T],
                           done: Callable[[], bool],
                           undone: Callable[[], bool] | None = None) -> T | None:
        """``call()`` for a command that changes the instrument's state (zero, tare, a
        load), never retried blindly: if a transient error comes out (its reply lost or
        garbled), the state is read back with ``done()`` (idempotent queries, with their
        own retries); when it shows the command took effect, that is reported like a
        retry (``outcome="confirmed by its state"``) and None returned. With ``undone``
        (a read-back showing the state is still the one before the command), a command
        that did not take effect is sent once more (``outcome="sent again: its state was
        unchanged"``); otherwise the error stands."""
        try:
            return call()
        except InstrumentError as err:
            if self.retries <= 0 or not transient(err):
                raise
            try:
                took_effect = done()
                again = not took_effect and undone is not None and undone()
            except InstrumentError:
                raise err from None
            if not took_effect and not again:
                raise
            self._report(RetryInfo(self.name, what, 1, self.retries, err,
                                   outcome="confirmed by its state" if took_effect
                                   else "sent again: its state was unchanged"))
            if took_effect:
                return None
            self.clear_input()
            return call()

    def confirm_setting(self, name: str, value: Any) -> None:
        """After a set point was sent: a set point changes the instrument's state, so it
        is never sent again blindly. When the ``setting`` can be read back (its
        ``get_cmd``) and the driver retries (a bench sets ``retries``), it is read back
        (an idempotent query); a value other than the one sent means the command was
        lost: it is sent once more (an absolute set point may be, now that the state is
        known), reported like a retry (``outcome="sent again: read back ..."``), and read
        back again; another value still is an ``InstrumentError``."""
        desc = setting_named(type(self), name)
        if desc is None or desc.get_cmd is None or self.retries <= 0:
            return
        command = desc.get_cmd
        for sent_again in (False, True):
            reply = self.retrying(command, lambda: self.query(command))
            holds = desc.holds(self, value, reply)
            if holds is None or holds:
                return
            if sent_again:
                raise InstrumentError(
                    f"the set point {name} was not taken: the instrument holds {reply!r} "
                    f"after it was sent twice", instrument=self.name, command=command,
                    reply=reply, hint="check the instrument (local mode, interlock, a "
                                      "refused value) before resuming")
            self._report(RetryInfo(self.name, f"set {name}", 1, self.retries, InstrumentError(
                f"read back {reply!r}, not the value sent", instrument=self.name,
                command=command, reply=reply), outcome=f"sent again: read back {reply!r}"))
            setattr(self, name, value)
            self.after_set(name)

    def after_set(self, name: str) -> None:
        """What the driver checks right after a set point was sent (a SCPI instrument's
        error queue); nothing by default."""
        return None

    def _report(self, info: RetryInfo) -> None:
        listener = self.retry_listener
        if listener is not None:
            listener(info)

    def _before_retry(self, what: str, attempt: int, err: InstrumentError) -> None:
        listener = self.retry_listener
        if listener is not None:
            listener(RetryInfo(self.name, what, attempt, self.retries, err))
        self.clear_input()  # a late reply of the failed try must not answer the next

    # -- talking ---------------------------------------------------------------
    def clear_input(self) -> None:
        """Drop whatever waits unread on the line (done once, before the first command)."""
        self._input_cleared = True
        try:
            self.transport.discard_input()
        except InstrumentError as err:
            raise self._named(err, None) from err

    def write(self, command: str) -> None:
        """Send one command (the transport adds the termination)."""
        self.activity += 1
        try:
            if not self._input_cleared:
                self.clear_input()
            self.transport.write(command)
        except InstrumentError as err:
            raise self._named(err, command) from err

    def write_bytes(self, data: bytes, command: str | None = None) -> None:
        """Send ``data`` as it is (a frame); ``command`` names it in errors (for example
        ``"CN=2011"``; default: its first bytes)."""
        self.activity += 1
        try:
            if not self._input_cleared:
                self.clear_input()
            self.transport.write_bytes(data, command)
        except InstrumentError as err:
            raise self._named(err, command) from err

    def read_frame(self, parser: FrameParser, timeout: float | None = None,
                   command: str | None = None) -> bytes:
        """Read one frame as ``parser`` (``labctl.protocols.framing``) delimits it, within
        ``timeout`` seconds (default: the transport's)."""
        self.activity += 1
        try:
            return self.transport.read_frame(parser, timeout)
        except InstrumentError as err:
            raise self._named(err, command) from err

    def read(self, command: str | None = None) -> str:
        """Read one reply line; ``command`` names what it answers, for errors."""
        self.activity += 1
        try:
            return self.transport.read()
        except InstrumentError as err:
            raise self._named(err, command) from err

    def query(self, command: str) -> str:
        """Send ``command`` and return its reply, checked against ``error_replies``."""
        self.activity += 1
        try:
            if not self._input_cleared:
                self.clear_input()
            reply = self.transport.query(command)
        except InstrumentError as err:
            raise self._named(err, command) from err
        if self._error_prefixes and reply.startswith(self._error_prefixes):
            self.check_reply(command, reply)
        return reply

    def check_reply(self, command: str, reply: str) -> None:
        """Raise ``InstrumentError`` if ``reply`` is one of the driver's error replies."""
        for code, meaning in self.error_replies.items():
            if reply == code or reply.startswith(code + " ") or reply.startswith(code + ","):
                raise InstrumentError(meaning, instrument=self.name, command=command,
                                      reply=reply, hint=self.error_hint(code))

    def error_hint(self, code: str) -> str | None:
        """What to do about an error reply (drivers override for their codes)."""
        return "check the command against the instrument's manual"

    def _named(self, err: InstrumentError, command: str | None) -> InstrumentError:
        """``err`` naming this instrument and ``command`` (same type: a timeout stays one)."""
        if err.instrument and (err.command is not None or command is None):
            return err
        try:
            return type(err)(err.message, instrument=err.instrument or self.name,
                             command=err.command if err.command is not None else command,
                             reply=err.reply, hint=err.hint)
        except TypeError:  # a subclass with another constructor: keep it as it is
            return err

    @contextmanager
    def timeout(self, seconds: float | None) -> Iterator[None]:
        """Use another transport timeout (seconds) inside the ``with`` block
        (``None`` keeps the current one): the transport's ``timeout()``, which holds its
        lock meanwhile."""
        if seconds is not None and not (seconds > 0 and math.isfinite(seconds)):
            raise ConfigError(f"a timeout must be a positive number of seconds, got {seconds}",
                              where=f"instrument {self.name!r}")
        with self.transport.timeout(seconds):
            yield

    # -- what every driver has -----------------------------------------------------
    @abc.abstractmethod
    def identify(self) -> Identity:
        """Maker, model, serial number and firmware, as the instrument reports them."""

    def safe_state(self) -> None:
        """Put the instrument where it can do no harm (called on abort, error and exit).
        An instrument that neither moves nor sources anything has nothing to do here,
        which is this default; drivers that move or source override it."""
        return None

    def close(self) -> None:
        """Release the connection (closing twice is harmless)."""
        self.transport.close()

    @classmethod
    def options_from_standards(cls, parts: tuple[Any, ...]) -> dict[str, Any]:
        """Options this driver derives from the bench's standards (``standard_parts()``:
        a weight set's weights...), used where the bench file does not state them."""
        return {}

    @classmethod
    def simulation_params(cls, parts: tuple[Any, ...], world: Any) -> dict[str, Any]:
        """Parameters this driver's simulator derives from the bench's standards and the
        simulated world (a weight loader's true masses), where ``sim:`` does not state
        them."""
        return {}

    @classmethod
    def simulation_entry_params(cls, entry: Any, world: Any) -> dict[str, Any]:
        """Parameters this driver's simulator derives from the instrument's own register
        entry (``entry``, a ``labctl.register.Standard``), where ``sim:`` does not state
        them: a reference instrument's true errors drawn within its certificate, so
        that the simulated standard is one its certificate could have been issued for."""
        return {}

    def data_plate(self) -> dict[str, Any]:
        """What the instrument states about itself (its marking, as the bench file
        gives it): ranges, resolution, class... as quantities or words by name; it is
        journaled at run start and read by the analyses. Nothing by default."""
        return {}

    def standards_in_use(self) -> list[str]:
        """The register ids of the standards (other than the instrument's own entry)
        that this instrument's set points put to use: a dilution calibrator's cylinder.
        The ``set`` action journals them (``standards``), so the record lists the
        standards the run used. None by default."""
        return []

    def set_point(self, name: str, value: Any) -> None:
        """Set the ``setting`` descriptor ``name`` (the ``source`` capability's set
        point): checked against its unit and limits, sent, checked by the driver
        (``after_set``), and read back (``confirm_setting``)."""
        if setting_named(type(self), name) is None:
            raise InstrumentError(f"{type(self).__name__} has no setting {name!r}",
                                  instrument=self.name, command=name,
                                  hint=f"its settings: {', '.join(settings_of(type(self)))}")
        setattr(self, name, value)
        self.after_set(name)
        self.confirm_setting(name, value)

    def __enter__(self) -> Instrument:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class RetryInfo:
    """One retry of an idempotent query: which instrument, what (the method or the
    command), the number of this retry, how many are allowed, and the error before it."""

    instrument: str
    what: str
    attempt: int
    allowed: int
    error: InstrumentError
    #: "retried" (sent again), or "confirmed by its state" (a state-changing command
    #: whose reply was lost, read back and found done: not sent again)
    outcome: str = "retried"

    def journal_fields(self) -> dict[str, Any]:
        """The fields of the journal's ``retry`` event."""
        return {"instrument": self.instrument, "what": self.what, "attempt": self.attempt,
                "allowed": self.allowed, "error": str(self.error),
                "error_type": type(self.error).__name__, "outcome": self.outcome}


def transient(err: InstrumentError) -> bool:
    """Whether another try may succeed: a timeout or a bad reply, not a lost or closed
    link (a ``TransportError`` that is no timeout) and not a refusal by the driver."""
    if isinstance(err, InstrumentTimeout):
        return True
    return not isinstance(err, TransportError)


def idempotent(method: Callable[..., T]) -> Callable[..., T]:
    """Mark a driver method as an idempotent query (a reading, an identification): it
    is retried after transient errors (``Instrument.retrying``)."""
    @functools.wraps(method)
    def wrapper(self: Instrument, *args: Any, **kwargs: Any) -> T:
        return self.retrying(method.__name__, lambda: method(self, *args, **kwargs))

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper


def _capability_name(protocol: type) -> str:
    for name, cls in CAPABILITIES.items():
        if cls is protocol:
            return name
    raise TypeError(f"{protocol!r} is not a capability protocol; "
                    f"known: {', '.join(sorted(CAPABILITIES))}")


def _protocol_methods(protocol: type) -> list[str]:
    names: list[str] = []
    for klass in protocol.__mro__:
        if klass is object or not getattr(klass, "_is_protocol", False):
            continue
        for key, value in vars(klass).items():
            if not key.startswith("_") and callable(value) and key not in names:
                names.append(key)
    return names


def setting_named(cls: type, name: str) -> Any:
    """The ``setting`` descriptor ``name`` of a driver class, or None."""
    found = getattr(cls, name, None)
    return found if isinstance(found, setting) else None


def settings_of(cls: type) -> list[str]:
    """The names of a driver class's ``setting`` descriptors."""
    return sorted(n for n in dir(cls) if setting_named(cls, n) is not None)
