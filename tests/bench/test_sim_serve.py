"""``labctl sim serve``: ports option, errors, and a short real-time run in a subprocess
queried with plain pyserial (no labctl code on the client side)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from labctl.cli import main
from labctl.commands.sim import parse_ports

from .helpers import ROOT

SHIPPED = ROOT / "benches" / "sim-scale.yaml"


def test_parse_ports() -> None:
    names = ["scale", "thermo"]
    assert parse_ports(["scale=5025", "thermo=5026"], names) == {"scale": 5025, "thermo": 5026}
    assert parse_ports(["scale=5025,thermo=5026"], names) == {"scale": 5025, "thermo": 5026}
    with pytest.raises(click.BadParameter, match="NAME=PORT"):
        parse_ports(["scale:5025"], names)
    with pytest.raises(click.BadParameter, match="'loader' is not a simulated instrument"):
        parse_ports(["loader=5025"], names)
    with pytest.raises(click.BadParameter, match="two instruments on one port"):
        parse_ports(["scale=5025", "thermo=5025"], names)


def test_a_bench_without_simulators_is_one_line(write_bench: Callable[..., Path],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = write_bench(replace={"resource: sim://fake-scale": "resource: socket://127.0.0.1:9",
                                "resource: sim://fake-loader": "resource: socket://127.0.0.1:9",
                                "resource: sim://thermohygrometer":
                                    "resource: socket://127.0.0.1:9"})
    assert main(["sim", "serve", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert re.match(rf"labctl: error: {re.escape(str(path))}:\d+:\d+: the bench has no "
                    r"simulated instrument", err), err


def test_a_bad_bench_is_one_line(write_bench: Callable[..., Path],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = write_bench(replace={"driver: fake-scale": "driver: nope"})
    assert main(["sim", "serve", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert re.match(rf"labctl: error: {re.escape(str(path))}:\d+:\d+: unknown driver 'nope'",
                    err), err


def _lines(stream: object, out: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        out.put(line)


@pytest.mark.realtime
def test_serve_the_shipped_bench_and_query_the_scale_with_pyserial_and_pyvisa() -> None:
    import pyvisa  # plain pyvisa-py and pyserial: the client knows nothing of labctl
    import serial

    proc = subprocess.Popen(
        [sys.executable, "-m", "labctl.cli", "sim", "serve", str(SHIPPED), "--pty"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        addresses: dict[str, list[str]] = {}
        deadline = time.monotonic() + 10
        while len(addresses) < 3:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            name, _, rest = line.strip().partition(": ")
            addresses[name] = rest.split()
        assert set(addresses) == {"scale", "loader", "thermo"}
        visa, url = addresses["scale"][:2]
        port = int(url.rsplit(":", 1)[1])
        assert visa == f"TCPIP::127.0.0.1::{port}::SOCKET"
        assert url == f"socket://127.0.0.1:{port}"
        assert addresses["scale"][2].startswith("/dev/pts/")

        with serial.serial_for_url(url, timeout=2) as port_:
            port_.write(b"I4\r\n")
            assert port_.readline() == b'I4 A "B523041877"\r\n'
            port_.write(b"SI\r\n")
            reply = port_.readline().decode("ascii")
            assert re.fullmatch(r"S [SD] +-?\d+\.\d{3} kg\r\n", reply), reply
        rm = pyvisa.ResourceManager("@py")
        try:
            scale = rm.open_resource(visa, read_termination="\r\n",
                                     write_termination="\r\n", timeout=2000)
            assert scale.query("I4") == 'I4 A "B523041877"'
            reply = scale.query("SI")
            assert re.fullmatch(r"S [SD] +-?\d+\.\d{3} kg", reply), reply
            scale.close()
        finally:
            rm.close()
        with serial.Serial(addresses["thermo"][2], timeout=2) as tty:  # the pseudo-terminal
            tty.write(b"*IDN?\r\n")
            assert tty.readline() == b"LABCTL-SIM,TH-100,TH100-25-0173,1.2.0\r\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, err
    assert "stopped" in err
