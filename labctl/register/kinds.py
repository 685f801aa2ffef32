"""Register entry kinds as plug-ins: what a top-level key of ``register.yaml`` holds.

Each kind is registered in the entry-point group ``labctl.register_kinds`` under the
YAML key its entries are listed under (``instruments`` is the core's; the weighing
family adds ``weight_sets``; a gas family would add ``cylinders``)::

    [project.entry-points."labctl.register_kinds"]
    cylinders = "my_family.register:CYLINDERS"

An ``EntryKind`` names the pydantic model of one entry (``fields``) and turns a
validated entry into a ``Standard`` (``build``), with the ``EntryPlace`` telling it
where in the file it stands (for ``file:line:col`` errors) and claiming its id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labctl.plugins import Plugins
from labctl.register.entries import Certificate, Standard
from labctl.register.fields import CertificateFields
from labctl.yamlio import where


@dataclass(frozen=True)
class EntryPlace:
    """Where an entry stands in its file: the parsed document, the entry's path in it."""

    data: Any
    loc: tuple[Any, ...]
    file: str
    claim_id: Callable[[str, tuple[Any, ...]], str]

    def where(self, *path: Any) -> str:
        """``file:line:col`` of ``path`` below the entry (the entry itself with none)."""
        return where(self.data, (*self.loc, *path), self.file)

    def claim(self, id: str) -> str:
        """Reserve the entry's id (unique across every kind); its ``file:line:col``."""
        return self.claim_id(id, self.loc)


class EntryKind:
    """One kind of register entry. Subclasses set ``fields`` and implement ``build``."""

    fields: type[CertificateFields] = CertificateFields
    title: str = "entry"  # what one entry is called in messages ("weight set")

    def build(self, fields: Any, place: EntryPlace) -> Standard:
        raise NotImplementedError(f"{type(self).__name__}.build")


def certificate_of(m: CertificateFields) -> Certificate | None:
    """The entry's certificate, or None when the entry states none."""
    if m.certificate is None:
        return None
    return Certificate(m.certificate, m.issued_by or "", m.calibrated, m.due,  # type: ignore[arg-type]
                       m.entered_by or "", m.checked_by or "")


def _check_kind(obj: Any) -> str | None:
    if not isinstance(obj, EntryKind):
        return f"{obj!r} is not a labctl.register.kinds.EntryKind"
    return None


REGISTER_KINDS: Plugins[EntryKind] = Plugins("labctl.register_kinds", "register entry kind",
                                             check=_check_kind)

__all__ = ["REGISTER_KINDS", "EntryKind", "EntryPlace", "certificate_of"]
