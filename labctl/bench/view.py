"""What a bench file says, as both kinds of bench show it: the declared bench of a plan
(``labctl.bench.declared``) and the open bench of a run (``labctl.bench.runtime``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from labctl.errors import RunError

if TYPE_CHECKING:
    from labctl.bench.config import BenchConfig
    from labctl.drivers.capabilities import EnvironmentReading
    from labctl.register import Register


class BenchView:
    """The bench file's facts and its role bindings (``_roles``: role -> driver)."""

    config: BenchConfig
    _roles: dict[str, Any]

    @property
    def path(self) -> Path:
        return self.config.path

    @property
    def sha256(self) -> str:
        return self.config.sha256

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def lab(self) -> str:
        return self.config.lab

    @property
    def operator(self) -> str:
        return self.config.operator

    @property
    def register(self) -> Register:
        return self.config.register

    @property
    def standards(self) -> tuple[str, ...]:
        """The register ids the bench file lists under ``standards``."""
        return self.config.standards

    @property
    def environment_stated(self) -> EnvironmentReading | None:
        """The environment stated in the bench file (None when an instrument measures it)."""
        return self.config.environment_stated

    @property
    def roles(self) -> Mapping[str, Any]:
        """role -> driver."""
        return MappingProxyType(self._roles)

    def role(self, name: str) -> Any:
        """The driver bound to role ``name``."""
        try:
            return self._roles[name]
        except KeyError:
            raise RunError(f"bench {self.path} has no instrument in role {name!r}; its roles: "
                           f"{', '.join(sorted(self._roles)) or 'none'}",
                           hint=f"add an instrument with role: {name}") from None

    def role_entry(self, role: str) -> Any:
        """The register entry of the instrument bound to ``role`` (None if it has none)."""
        for inst in self.config.instruments.values():
            if inst.role == role and inst.register_id:
                return self.config.register.standard(inst.register_id)
        return None

    def standard_parts(self) -> tuple[Any, ...]:
        """The parts of the bench's standards (the weights of a set), in order."""
        return self.config.standard_parts()
