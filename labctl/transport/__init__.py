"""Transports move bytes to and from one instrument; they know nothing of instruments.

``open_transport(resource, ...)`` picks the implementation from the resource string:
VISA resource names go to pyvisa, ``serial://``/``socket://``/``rfc2217://``/``loop://``
to pyserial, ``sim://NAME`` to an in-process simulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labctl.errors import TransportError
from labctl.transport.base import Transport, TransportOptions
from labctl.transport.resources import ResourceInfo, parse_resource

if TYPE_CHECKING:
    from labctl.clock import Clock
    from labctl.sim.device import SimDevice

__all__ = ["ResourceInfo", "Transport", "TransportOptions", "open_transport", "parse_resource"]


def open_transport(resource: str, options: TransportOptions | None = None, *,
                   device: SimDevice | None = None, clock: Clock | None = None) -> Transport:
    """Open the transport ``resource`` names.

    ``options`` carries the instrument's terminations, encoding, timeout, baud rate,
    VISA backend and its bench name (for error messages). ``device`` and ``clock`` are
    for ``sim://`` resources: the bench builds the simulator and passes it here.
    A malformed resource raises ``ConfigError``; one that does not open raises
    ``TransportError`` naming the instrument and the resource, with a hint.
    pyvisa and pyserial are imported only when a resource needs them.
    """
    options = options or TransportOptions()
    info = parse_resource(resource, instrument=options.instrument)
    if info.kind == "sim":
        if device is None:
            raise TransportError(
                f"{info.resource} needs an in-process simulator and none was given",
                instrument=options.instrument,
                hint="sim:// resources are opened by the bench, which builds the simulator",
            )
        from labctl.transport.sim import SimTransport

        return SimTransport(device, options, clock, resource=info.resource)
    if info.kind == "visa":
        from labctl.transport.visa import VisaTransport

        return VisaTransport(info.resource, options)
    from labctl.transport.serial import SerialTransport

    return SerialTransport(info.resource, options, info=info)
