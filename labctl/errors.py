"""The error types every layer raises.

A ``LabctlError`` is a user-facing mistake or failure: the command line prints its
one-line message (place, what was wrong, what to do) and exits with status 2, never
a traceback. Anything else escaping is a bug in labctl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class LabctlError(Exception):
    """Base of all expected errors. ``str(err)`` is the full one-line message."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class ConfigError(LabctlError):
    """Bad input in a file the user wrote (YAML, budget, bench, procedure, register)."""


class UnitError(ConfigError):
    """A quantity that cannot be parsed or has the wrong dimension."""


class InstrumentError(LabctlError):
    """An instrument refused a command, replied garbage, or did not reply."""

    def __init__(
        self,
        message: str,
        *,
        instrument: str | None = None,
        command: str | None = None,
        reply: str | bytes | None = None,
        hint: str | None = None,
    ):
        self.instrument = instrument
        self.command = command
        self.reply = reply
        parts = []
        if instrument:
            parts.append(f"instrument {instrument!r}")
        if command is not None:
            parts.append(f"command {command!r}")
        if reply is not None:
            parts.append(f"reply {reply!r}")
        super().__init__(message, where=", ".join(parts) or None, hint=hint)


class TransportError(InstrumentError):
    """The connection itself failed: could not open, closed, disconnected."""


class InstrumentTimeout(TransportError):
    """No (complete) reply within the instrument's timeout."""


class RunError(LabctlError):
    """A run cannot start or continue (missing role, expired standard, bad resume id...)."""


def read_bytes(path: Path, error: type[LabctlError], *, missing: str, unreadable: str,
               hint: str | None = None) -> bytes:
    """The bytes of the file at ``path``. A missing file is ``error(missing)`` with
    ``hint``; one that cannot be read is ``error("<unreadable>: <the system's reason>")``;
    both at ``path``."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise error(missing, where=str(path), hint=hint) from exc
    except OSError as exc:
        raise error(f"{unreadable}: {exc.strerror}", where=str(path)) from exc
