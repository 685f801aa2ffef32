"""The errors of the records layer: records, signatures, the registry and the outbox."""

from __future__ import annotations

from labctl.errors import LabctlError


class RecordError(LabctlError):
    """A record that cannot be built, serialised or read back."""


class SigningError(LabctlError):
    """The lab key cannot be created, read or used."""


class RegistryError(LabctlError):
    """A registry that cannot be opened or refuses an operation."""


class RegistryUnavailable(RegistryError):
    """The registry cannot be reached now (server down, file not openable); retry later."""


class RegistryConflict(RegistryError):
    """A record id already in the registry with other content."""


class ChainMoved(RegistryConflict):
    """The record's ``previous`` is no longer the lab's last hash: re-link, re-sign, push."""


class RecordNotFound(RegistryError):
    """No record (or more than one) matches the id or prefix asked for."""


class OutboxError(LabctlError):
    """The local outbox cannot be opened or refuses a record."""


class VerificationFailed(RegistryError):
    """``labctl registry verify`` found problems; exits with status 1."""

    exit_code = 1
