"""Transports move bytes to and from one instrument; they know nothing of instruments.

``open_transport(resource, ...)`` picks the implementation from the resource string:
VISA resource names go to pyvisa, ``serial://``/``socket://``/``rfc2217://``/``loop://``
to pyserial, ``sim://NAME`` to an in-process simulator.
"""
