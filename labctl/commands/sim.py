"""``labctl sim``: a bench's simulators in real time, for any client.

``labctl sim serve BENCH`` builds the simulators of every ``sim://`` instrument of the
bench file (the same building code, parameters, seed and fault plans as ``labctl run``
uses in process), on the real clock, and serves each on a TCP port (and, with
``--pty``, a pseudo-terminal). It prints one line per instrument::

    scale: TCPIP::127.0.0.1::40511::SOCKET socket://127.0.0.1:40511 /dev/pts/4

Any of these strings can stand as the ``resource:`` of that instrument in another bench
file. It serves until Ctrl-C or SIGTERM, then closes every port.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

import click

from labctl.errors import ConfigError

DEFAULT_MAX_CLIENTS = 4  # labctl.sim.server.DEFAULT_MAX_CLIENTS (not imported: --help stays light)


@click.group()
def sim() -> None:
    """Simulated instruments."""


@sim.command()
@click.argument("bench", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface).")
@click.option("--pty/--no-pty", "use_pty", default=False, show_default=True,
              help="Also give each serial-style simulator a pseudo-terminal.")
@click.option("--ports", "port_specs", multiple=True, metavar="NAME=PORT",
              help="Pin an instrument's TCP port (repeatable, or comma separated).")
@click.option("--seed", type=int, default=None, help="Seed of the simulated world "
              "(default: the bench file's).")
@click.option("--max-clients", type=click.IntRange(min=1), default=DEFAULT_MAX_CLIENTS,
              show_default=True, help="TCP clients served at once per instrument; one "
              "more is told so and closed.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the addresses as one JSON object instead of one line each.")
def serve(bench: Path, host: str, use_pty: bool, port_specs: tuple[str, ...],
          seed: int | None, max_clients: int, as_json: bool) -> None:
    """Serve the simulators of BENCH in real time on TCP ports (and pseudo-terminals).

    Each client connection starts clean; line-based simulators take commands of at most
    4096 bytes (a longer one gets the instrument's error reply and is discarded);
    frame-based ones (HJ 212, Modbus RTU) take whole frames."""
    from labctl.bench import load_bench
    from labctl.bench.build import build_simulators, build_world
    from labctl.clock import RealClock
    from labctl.sim.server import SimServer

    config = load_bench(bench)
    world = build_world(config, RealClock(), seed)
    devices = build_simulators(config, world)
    if not devices:
        raise ConfigError("the bench has no simulated instrument (resource: sim://NAME)",
                          where=config.places.get("instruments", str(bench)),
                          hint="labctl sim serve serves sim:// instruments only")
    ports = parse_ports(port_specs, devices)
    pty_for = [name for name, dev in devices.items() if is_serial_style(dev)] if use_pty else []
    server = SimServer(devices, host=host, ports=ports, pty_for=pty_for,
                       max_clients=max_clients)

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    server.start()
    try:
        addresses = server.addresses()
        if as_json:
            click.echo(json.dumps(addresses))
        else:
            for name, addrs in addresses.items():
                click.echo(f"{name}: {' '.join(addrs)}")
        sys.stdout.flush()
        click.echo(f"serving {len(addresses)} simulator(s) of {config.name}; "
                   "Ctrl-C or SIGTERM stops", err=True)
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    click.echo("stopped", err=True)


def parse_ports(specs: Iterable[str], devices: Iterable[str]) -> dict[str, int]:
    """``["scale=5025", "thermo=5026,loader=5027"]`` -> ``{name: port}``, names checked."""
    known = list(devices)
    ports: dict[str, int] = {}
    for spec in specs:
        for item in filter(None, (s.strip() for s in spec.split(","))):
            name, sep, port = item.partition("=")
            name, port = name.strip(), port.strip()
            if not sep or not port.isdigit() or not 0 < int(port) < 65536:
                raise click.BadParameter(f"{item!r}: expected NAME=PORT with a port from 1 to "
                                         "65535, e.g. scale=5025", param_hint="--ports")
            if name not in known:
                raise click.BadParameter(f"{name!r} is not a simulated instrument of the bench "
                                         f"({', '.join(known)})", param_hint="--ports")
            ports[name] = int(port)
    used = [p for p in ports.values()]
    if len(set(used)) != len(used):
        raise click.BadParameter("two instruments on one port", param_hint="--ports")
    return ports


def is_serial_style(device: object) -> bool:
    """Whether a simulated device is one a serial line would carry (it says so with
    ``serial_style``; devices that do not say are taken as serial-style, like most
    bench instruments with an RS-232 port)."""
    return bool(getattr(device, "serial_style", True))
