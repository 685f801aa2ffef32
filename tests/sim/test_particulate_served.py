"""``labctl sim serve`` of the PM bench: a plain TCP client (a socket, no labctl driver)
receives the HJ 212 monitor's uploads, acknowledges them, and polls CN 2011."""

from __future__ import annotations

import re
import shutil
import socket
import time
from pathlib import Path

import pytest
from simserve_for_tests import serve, served_addresses, stop

from labctl.protocols import hj212

ROOT = Path(__file__).resolve().parents[2]
FRAME = re.compile(rb"##\d{4}QN=\d{17};ST=22;CN=2011;PW=123456;MN=LABCTL-PM-0001;Flag=5;"
                   rb"CP=&&DataTime=\d{14};.*a34004-Rtd=[-\d.]+,a34004-Flag=N.*&&[0-9A-F]{4}\r\n")


def read_line(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = sock.recv(1)
        if not chunk:
            raise AssertionError(f"connection closed after {data!r}")
        data += chunk
    return data


@pytest.mark.realtime
def test_a_tcp_client_receives_uploads_acknowledges_and_polls(tmp_path: Path) -> None:
    shutil.copy(ROOT / "benches" / "register.yaml", tmp_path / "register.yaml")
    text = (ROOT / "benches" / "sim-pm25.yaml").read_text(encoding="utf-8")
    assert text.count("upload_interval: 60 s") == 1
    bench = tmp_path / "sim-pm25.yaml"
    bench.write_text(text.replace("upload_interval: 60 s", "upload_interval: 0.3 s"),
                     encoding="utf-8")
    proc = serve(bench, cwd=tmp_path)
    try:
        addresses = served_addresses(proc, 5, timeout=15)
        url = addresses["monitor"][1]
        host, port = url.removeprefix("socket://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            deadline = time.monotonic() + 5
            upload = read_line(sock, deadline)
            assert FRAME.fullmatch(upload), upload
            frame = hj212.decode(upload)
            assert frame.wants_ack
            sock.sendall(hj212.encode(hj212.data_reply(frame)))        # 9014
            request = hj212.Frame(st="22", cn="2011", pw="123456", mn="LABCTL-PM-0001",
                                  qn="20261203101500000", flag=hj212.Flag(ack=True))
            sock.sendall(hj212.encode(request))
            answers = []
            while len(answers) < 3:
                got = hj212.decode(read_line(sock, deadline))
                if got.qn == request.qn:
                    answers.append(got)
            assert [a.cn for a in answers] == ["9011", "2011", "9012"]
            assert answers[0].cp.params["QnRtn"] == "1"
            assert answers[1].cp.value("a34004") >= -5.0
    finally:
        err = stop(proc)
    assert proc.returncode == 0, err
