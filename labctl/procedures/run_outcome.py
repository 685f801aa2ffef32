"""How a run ends up: ``RunOutcome`` (its id, journal, final state and events), and the
errors that end a run: ``RunAborted`` (aborted or failed, after the teardown) and
``AbortRequested`` (an abort asked through ``RunControl``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labctl.errors import RunError


class RunAborted(RunError):
    """A run that ended aborted or failed; ``outcome`` says where its journal is."""

    def __init__(self, message: str, outcome: RunOutcome, *, hint: str | None = None):
        self.outcome = outcome
        super().__init__(message, hint=hint)


class AbortRequested(RunError):
    """An abort asked through ``RunControl``."""


@dataclass
class RunOutcome:
    run_id: str
    journal_path: Path
    state: str                                   # done / aborted / failed
    events: list[dict[str, Any]]                 # the whole journal, earlier sessions too
    sha256: str = ""                             # of the journal file at the end
    teardown_errors: list[str] = field(default_factory=list)
    #: instruments that could not be put in their safe state, each with what to check
    unsafe: list[str] = field(default_factory=list)
