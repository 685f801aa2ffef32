"""``labctl sim serve``: ports option, errors, and a short real-time run in a subprocess
queried with plain pyserial (no labctl code on the client side)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from simserve_for_tests import serve, served_addresses, stop

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


@pytest.mark.realtime
def test_serve_the_shipped_bench_and_query_the_scale_with_pyserial_and_pyvisa() -> None:
    import pyvisa  # plain pyvisa-py and pyserial: the client knows nothing of labctl
    import serial

    proc = serve(SHIPPED, "--pty", cwd=ROOT)
    try:
        addresses = served_addresses(proc, 3, timeout=10)
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
        err = stop(proc)
    assert proc.returncode == 0, err
    assert "stopped" in err
