"""Shared test data and checks for the bench tests."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "benches" / "register.yaml"

BENCH = """\
name: test-bench
lab: Test lab
operator: A. Tester
register: register.yaml
seed: 11
instruments:
  scale:
    driver: fake-scale
    resource: sim://fake-scale
    role: dut
    serial: FS-77
    options: {max: 15 kg, e: 5 g, d: 5 g, min: 100 g, class: III, unit: kg, timeout: 1 s}
    sim: {serial: FS-77}
  loader:
    driver: fake-loader
    resource: sim://fake-loader
    role: loader
    serial: LOADER-01
    sim: {serial: WL20-0042}
  thermo:
    driver: thermohygrometer
    resource: sim://thermohygrometer
    role: environment
    serial: TH-01
    sim: {serial: TH100-25-0173, temperature: 21 degC, humidity: 45 %}
standards: [M1-A]
environment: {instrument: thermo}
"""


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """The 1-based line number of the ``nth`` line of ``path`` containing ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            nth -= 1
            if nth == 0:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def assert_one_line_naming_the_place(error: Exception, path: Path, pattern: str,
                                     marker: str | tuple[str, int] | None) -> None:
    """``error`` reads as one line ``path:LINE:COL: ...`` matching ``pattern``; with a
    ``marker`` (a needle, or a needle and which of its lines), LINE is the marker's line."""
    text = str(error)
    assert "\n" not in text
    assert re.search(pattern, text), text
    m = re.match(rf"{re.escape(str(path))}:(\d+):(\d+): ", text)
    assert m, text
    if marker is not None:
        needle, nth = marker if isinstance(marker, tuple) else (marker, 1)
        assert int(m.group(1)) == line_of(path, needle, nth), text
