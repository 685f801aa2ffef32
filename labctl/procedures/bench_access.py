"""What the runner needs of a bench (``BenchLike``) and the instruments bound to its
roles (``_bench_roles``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol


class BenchLike(Protocol):
    """What the runner needs of a bench (``labctl.bench.Bench``; tests use fakes).

    Required: ``roles`` (role -> instrument, or role names for ``role(name)``) and
    ``role(name)``. Used when present: ``choose_weights(mass, *, exclude)`` (loads),
    ``identify_all()`` (else each role's ``identify()``), ``safe_state_all()`` (else each
    role's ``safe_state()``), and for ``run_started``: ``path``, ``sha256``, ``name``,
    ``lab``, ``operator``, ``seed``, ``standards`` (register ids).
    """

    @property
    def roles(self) -> Mapping[str, Any] | Iterable[str]: ...

    def role(self, name: str) -> Any: ...


def _bench_roles(bench: Any) -> dict[str, Any]:
    """role -> instrument, from ``bench.roles`` (a mapping, or names for ``role()``)."""
    roles = bench.roles
    if isinstance(roles, Mapping):
        return dict(roles)
    return {name: bench.role(name) for name in roles}
