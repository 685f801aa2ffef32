"""Real time through the code paths real hardware uses: ``labctl sim serve`` in a
subprocess serves a fast-settling scale and loader (tests/e2e/benches/served-scale.yaml);
a client bench names the printed addresses as its resources, and ``labctl run`` takes a
short procedure through them on the real clock: once over pyvisa
(``TCPIP::127.0.0.1::PORT::SOCKET``), once over pyserial (``socket://127.0.0.1:PORT``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import (
    REGISTER,
    SERVED_BENCH,
    SHORT_PROCEDURE,
    journal_events,
    only_run,
    registry_url,
)
from simserve_for_tests import serve, served_addresses, stop

from labctl.cli import main

pytestmark = pytest.mark.realtime


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, list[str]]]:
    """``labctl sim serve`` of the test bench: instrument -> its printed addresses."""
    proc = serve(SERVED_BENCH)
    try:
        yield served_addresses(proc, 2, timeout=20)
    finally:
        err = stop(proc)
        assert proc.returncode == 0, err


def client_bench(folder: Path, addresses: dict[str, list[str]], which: int) -> Path:
    """The served bench as a lab would write it for real instruments: the same
    instruments, options and register, their resources the served addresses, and no
    ``sim:`` on this side."""
    data = yaml.safe_load(SERVED_BENCH.read_text(encoding="utf-8"))
    data["register"] = str(REGISTER)
    for name, instrument in data["instruments"].items():
        instrument["resource"] = addresses[name][which]
        instrument.pop("sim")
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("which", "scheme", "transport"), [
    (0, "TCPIP::127.0.0.1::", "VisaTransport"),
    (1, "socket://127.0.0.1:", "SerialTransport"),
], ids=["pyvisa", "pyserial"])
def test_short_procedure_in_real_time_against_sim_serve(
        which: int, scheme: str, transport: str, served: dict[str, list[str]],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import labctl.transport as transports

    assert set(served) == {"scale", "loader"}
    bench = client_bench(tmp_path, served, which)
    opened: list[str] = []
    real_open = transports.open_transport

    def open_transport(resource: str, *args: Any, **kwargs: Any) -> Any:
        result = real_open(resource, *args, **kwargs)
        opened.append(type(result).__name__)
        assert resource.startswith(scheme), resource
        return result

    monkeypatch.setattr(transports, "open_transport", open_transport)
    out = tmp_path / "record.json"
    status = main(["run", str(SHORT_PROCEDURE), "--bench", str(bench), "--registry",
                   registry_url(tmp_path), "--runs-dir", str(tmp_path / "runs"),
                   "--json", str(out), "-q"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert opened == [transport, transport]  # the scale's and the loader's

    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["virtual_clock"] is False  # a bench on wire resources runs in real time
    assert record["dut"]["serial"] == "B523041877"
    assert [p["point"] for p in record["points"]] == [
        "weighing/01", "weighing/02", "weighing/03", "eccentricity/01", "eccentricity/02"]
    assert record["decision"] in ("pass", "conditional_pass")  # gain 2e-4: within class III
    for point in record["points"]:  # read through the wire, rounded to d = 5 g
        assert point["indication"]["value"] == pytest.approx(point["nominal"]["value"],
                                                             abs=0.0051)
    assert f"record {record['id']} stored in the registry" in captured.out
    events = journal_events(only_run(tmp_path / "runs"))
    assert events[0]["virtual_clock"] is False
    assert events[-2]["type"] == "run_finished" and events[-2]["state"] == "done"
    assert events[-1]["type"] == "record_stored"
    assert [e["type"] for e in events].count("reading") == 5
