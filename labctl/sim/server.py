"""``SimServer``: simulators served in real time on TCP ports and pseudo-terminals, so
that pyvisa, pyserial or any other client can talk to them as to real instruments.

One thread runs a ``selectors`` loop for every listener, client and pty: received bytes
go to ``device.write``; whatever ``device.read()`` gives (replies, delayed replies once
due, unsolicited lines) goes back to the client. The select timeout is computed from
``device.next_due()``, so a delayed reply leaves on time without polling.

Each device has a TCP listener and, if asked, a pty whose slave path (``/dev/pts/N``) a
serial client opens. Several TCP clients are served at once, up to ``max_clients`` per
device (a client beyond that gets one line saying so and is closed). Each connection is
a session of the device (``SimDevice.write(data, session)``): it starts clean, its
commands are cut from its own input, and its replies go to it alone; what a client
leaves unread or half-sent when it goes is dropped with it. Unsolicited lines (a
power-on message) go to the first client that is there. A device whose fault plan
disconnects it has its clients, listener and pty closed.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import selectors
import socket
import threading
import tty
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from labctl.errors import ConfigError, TransportError
from labctl.sim.device import SimDevice

log = logging.getLogger(__name__)

MAX_PENDING = 65536  # bytes kept for a client that does not read; older ones are dropped
JOIN_TIMEOUT = 2.0
RECV_SIZE = 65536
DEFAULT_MAX_CLIENTS = 4
PTY_SESSION = "pty"


@dataclass(eq=False)
class _Client:
    """One TCP connection: its socket, its session id and what waits to be sent."""

    sock: socket.socket
    session: int
    out: bytearray = field(default_factory=bytearray)


@dataclass
class _Served:
    """One device and its channels (owned by the server thread once started)."""

    name: str
    device: SimDevice
    port: int
    listener: socket.socket | None = None
    clients: list[_Client] = field(default_factory=list)
    master: int | None = None
    slave: int | None = None
    pty_path: str | None = None
    pty_out: bytearray = field(default_factory=bytearray)
    dead: bool = False

    def channels(self) -> int:
        return len(self.clients) + (self.master is not None)


class SimServer:
    """Serve ``devices`` (name -> simulator on a real clock) on ``host``.

    ``ports`` fixes a TCP port per device (others get a free port); devices named in
    ``pty_for`` also get a pseudo-terminal; each device serves up to ``max_clients``
    TCP clients at once. Use as a context manager, or ``start()`` / ``stop()``;
    ``addresses()`` gives each device's resource strings once started.
    """

    def __init__(self, devices: Mapping[str, SimDevice], host: str = "127.0.0.1",
                 ports: Mapping[str, int] | None = None, pty_for: Iterable[str] = (),
                 max_clients: int = DEFAULT_MAX_CLIENTS) -> None:
        if max_clients < 1:
            raise ConfigError(f"max_clients must be at least 1, not {max_clients}",
                              hint="--max-clients 1 serves one client at a time")
        ports = dict(ports or {})
        pty_names = set(pty_for)
        for what, names in (("ports", set(ports)), ("pty_for", pty_names)):
            unknown = names - set(devices)
            if unknown:
                raise ConfigError(f"{what} names {', '.join(sorted(unknown))}, which is not "
                                  f"among the served simulators",
                                  hint=f"served: {', '.join(sorted(devices)) or 'none'}")
        for name, device in devices.items():
            if getattr(device.clock, "virtual", False):
                raise ConfigError(f"simulator {name!r} runs on a virtual clock",
                                  hint="served simulators need a real clock (RealClock)")
        self.host = host
        self.max_clients = int(max_clients)
        self._sessions = itertools.count(1)
        self._served = [_Served(name, dev, int(ports.get(name, 0)))
                        for name, dev in devices.items()]
        self._pty_names = pty_names
        self._selector: selectors.BaseSelector | None = None
        self._thread: threading.Thread | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._stopping = threading.Event()
        self._started = False

    # -- life cycle ------------------------------------------------------
    def start(self) -> None:
        """Open every listener and pty, then serve them on a background thread."""
        if self._started:
            return
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        try:
            for served in self._served:
                self._listen(served)
                if served.name in self._pty_names:
                    self._open_pty(served)
        except BaseException:
            self._close_all()
            raise
        self._started = True
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="labctl-sim-server",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving: wake the loop, join it (with a timeout), close every socket and pty."""
        if not self._started:
            return
        self._stopping.set()
        with contextlib.suppress(OSError):
            if self._wake_w is not None:
                self._wake_w.send(b"x")
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT)
            if self._thread.is_alive():
                log.warning("simulator server thread did not stop within %s s", JOIN_TIMEOUT)
        self._close_all()
        self._started = False

    def __enter__(self) -> SimServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def addresses(self) -> dict[str, list[str]]:
        """Name -> resource strings: the VISA socket name, the pyserial ``socket://`` URL,
        and for pty devices the slave path (usable as is or as ``serial:///dev/pts/N``)."""
        if not self._started:
            raise RuntimeError("the simulator server is not started")
        host = self.host if self.host not in ("", "0.0.0.0") else "127.0.0.1"
        out: dict[str, list[str]] = {}
        for served in self._served:
            addrs = [f"TCPIP::{host}::{served.port}::SOCKET", f"socket://{host}:{served.port}"]
            if served.pty_path:
                addrs.append(served.pty_path)
            out[served.name] = addrs
        return out

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- opening ---------------------------------------------------------
    def _listen(self, served: _Served) -> None:
        try:
            sock = socket.create_server((self.host, served.port), backlog=4)
        except OSError as exc:
            raise TransportError(
                f"cannot listen on {self.host}:{served.port}: {exc.strerror or exc}",
                instrument=served.name,
                hint="choose another port, or stop the program that holds this one",
            ) from exc
        sock.setblocking(False)
        served.listener = sock
        served.port = sock.getsockname()[1]
        assert self._selector is not None
        self._selector.register(sock, selectors.EVENT_READ, ("accept", served))

    def _open_pty(self, served: _Served) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        served.master, served.slave = master, slave
        served.pty_path = os.ttyname(slave)
        assert self._selector is not None
        self._selector.register(master, selectors.EVENT_READ, ("pty", served))

    # -- the loop --------------------------------------------------------
    def _run(self) -> None:
        selector = self._selector
        assert selector is not None
        try:
            while not self._stopping.is_set():
                for key, mask in selector.select(self._select_timeout()):
                    what, served = key.data
                    if what == "wake":
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(RECV_SIZE)  # type: ignore[union-attr]
                    elif what == "accept":
                        self._accept(served)
                    elif what == "tcp":
                        self._on_tcp(served, mask)
                    elif what == "pty":
                        self._on_pty(served, mask)
                for served in self._served:
                    self._pump(served)
        except Exception:  # a bug here must not pass silently: log it, then stop serving
            log.exception("simulator server loop failed")

    def _select_timeout(self) -> float | None:
        timeout = None
        for served in self._served:
            if served.dead or not served.channels():
                continue
            due = served.device.next_due()
            if due is not None:
                wait = max(0.0, due - served.device.clock.now())
                timeout = wait if timeout is None else min(timeout, wait)
        return timeout

    def _accept(self, served: _Served) -> None:
        assert served.listener is not None and self._selector is not None
        try:
            sock, peer = served.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        if len(served.clients) >= self.max_clients:
            log.warning("%s: client %s refused: %d client(s) already", served.name, peer,
                        len(served.clients))
            with contextlib.suppress(OSError):
                sock.setblocking(False)
                sock.send(refusal(served.name, self.max_clients))
            with contextlib.suppress(OSError):
                sock.close()
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client = _Client(sock, next(self._sessions))
        served.clients.append(client)
        self._selector.register(sock, selectors.EVENT_READ, ("tcp", (served, client)))
        log.info("%s: client %s connected (session %d)", served.name, peer, client.session)

    def _on_tcp(self, target: tuple[_Served, _Client], mask: int) -> None:
        served, client = target
        if client not in served.clients:
            return
        if mask & selectors.EVENT_READ:
            try:
                data = client.sock.recv(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                data = b""
            if data == b"":
                self._drop_client(served, client)
                return
            if data:
                self._feed(served, data, client.session)
        if mask & selectors.EVENT_WRITE and client in served.clients:
            self._flush_tcp(served, client)

    def _on_pty(self, served: _Served, mask: int) -> None:
        if served.master is None:
            return
        if mask & selectors.EVENT_READ:
            try:
                data = os.read(served.master, RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                data = b""
            except OSError:
                data = b""  # no reader on the slave side: nothing to take
            if data:
                self._feed(served, data, PTY_SESSION)
        if mask & selectors.EVENT_WRITE and served.master is not None:
            self._flush_pty(served)

    def _feed(self, served: _Served, data: bytes, session: object) -> None:
        served.device.write(data, session)
        if not served.device.connected:
            self._kill(served)

    def _pump(self, served: _Served) -> None:
        if served.dead:
            return
        if not served.device.connected:
            self._kill(served)
            return
        device = served.device
        for client in list(served.clients):
            data = device.read(session=client.session)
            if data:
                _append(client.out, data)
                self._flush_tcp(served, client)
        if served.master is not None:
            data = device.read(session=PTY_SESSION)
            if data:
                _append(served.pty_out, data)
                self._flush_pty(served)

    def _flush_tcp(self, served: _Served, client: _Client) -> None:
        assert self._selector is not None
        try:
            while client.out:
                sent = client.sock.send(client.out)
                del client.out[:sent]
        except (BlockingIOError, InterruptedError):
            pass  # the kernel buffer is full: wait for EVENT_WRITE below
        except OSError:
            self._drop_client(served, client)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.out else 0)
        self._selector.modify(client.sock, events, ("tcp", (served, client)))

    def _flush_pty(self, served: _Served) -> None:
        master = served.master
        assert master is not None and self._selector is not None
        try:
            while served.pty_out:
                written = os.write(master, served.pty_out)
                del served.pty_out[:written]
        except (BlockingIOError, InterruptedError):
            pass  # nobody reads the slave side yet: keep the bytes (bounded) and wait
        except OSError:
            served.pty_out.clear()
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if served.pty_out else 0)
        self._selector.modify(master, events, ("pty", served))

    # -- closing ---------------------------------------------------------
    def _drop_client(self, served: _Served, client: _Client) -> None:
        """Close one client; its session's unread input and replies go with it."""
        if client in served.clients:
            served.clients.remove(client)
        served.device.close_session(client.session)
        client.out.clear()
        self._unregister(client.sock)
        with contextlib.suppress(OSError):
            client.sock.close()

    def _kill(self, served: _Served) -> None:
        """The device's link died (a disconnect fault): close everything it had."""
        log.info("%s: link disconnected", served.name)
        served.dead = True
        self._close_served(served)

    def _close_served(self, served: _Served) -> None:
        for client in list(served.clients):
            self._drop_client(served, client)
        listener, served.listener = served.listener, None
        if listener is not None:
            self._unregister(listener)
            with contextlib.suppress(OSError):
                listener.close()
        master, served.master = served.master, None
        slave, served.slave = served.slave, None
        if master is not None:
            self._unregister(master)
        for fd in (master, slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        served.pty_out.clear()

    def _unregister(self, fileobj: socket.socket | int) -> None:
        if self._selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(fileobj)

    def _close_all(self) -> None:
        for served in self._served:
            self._close_served(served)
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                self._unregister(sock)
                sock.close()
        self._wake_r = self._wake_w = None
        if self._selector is not None:
            self._selector.close()
            self._selector = None


def _append(buffer: bytearray, data: bytes) -> None:
    buffer += data
    if len(buffer) > MAX_PENDING:
        del buffer[: len(buffer) - MAX_PENDING]


def refusal(name: str, max_clients: int) -> bytes:
    """The line a client beyond ``max_clients`` gets before it is closed."""
    return (f"labctl sim serve: {name} already serves {max_clients} client(s) "
            f"(--max-clients {max_clients}); close one or raise the limit\r\n").encode()
