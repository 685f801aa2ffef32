"""A family from outside labctl, registered through the entry-point groups a third-party
package uses, runs end to end to a stored record (issue 6, docs/families.md).

The family's code is ``tests/families/voltfam``; the test installs it the way pip would
leave it for importlib.metadata (a ``voltfam-0.1.0.dist-info`` with its
``entry_points.txt`` on the path) and runs ``labctl run`` in a child process: nothing of
labctl is patched, and the family imports no private name of labctl.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FAMILY = HERE / "voltfam"


def install(site: Path) -> Path:
    """Write the family's dist-info into ``site`` (a directory put on the path)."""
    sys.path.insert(0, str(HERE))
    try:
        from voltfam import ENTRY_POINTS
    finally:
        sys.path.remove(str(HERE))
    info = site / "voltfam-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: voltfam\nVersion: 0.1.0\n",
                                   encoding="utf-8")
    lines = []
    for group, names in ENTRY_POINTS.items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {target}" for name, target in names.items()]
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    return site


def run_labctl(args: list[str], site: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(HERE)]),
           "LABCTL_HOME": str(home), "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-m", "labctl.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=HERE)


def test_the_family_imports_no_private_name_of_labctl() -> None:
    for path in FAMILY.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("labctl"):
                assert not any(part.startswith("_") for part in node.module.split(".")), path
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from {node.module}"


def test_an_outside_family_runs_to_a_stored_record(tmp_path: Path) -> None:
    site = install(tmp_path / "site")
    home = tmp_path / "home"
    home.mkdir()
    out = tmp_path / "record.json"
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    done = run_labctl(["run", "voltfam-dcv.yaml", "--bench", "sim-voltfam.yaml",
                       "--registry", registry, "--json", str(out)], site, home)
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["procedure"]["id"] == "voltfam-dcv"
    assert record["dut"]["driver"] == "voltfam-dmm"
    assert record["dut"]["data_plate"]["resolution"] == {"value": 1.0, "unit": "µV"}
    assert [s["register_id"] for s in record["standards"]] == ["CAL-01", "ZR-01"]
    # the family's own register kind reaches the record with its own description
    assert record["standards"][1]["description"] == \
        "DC voltage reference 10.000012 V, serial ZR7-0315"
    assert record["standards"][1]["certificate"] == "EL-2026-0230"
    points = record["points"]
    assert [p["point"] for p in points] == [f"dcv/0{i}" for i in range(1, 6)]
    assert {p["test"] for p in points} == {"voltage_error"}
    # the simulated meter: gain 1.00002, offset 3 uV; its error at V is 2e-5 V + 3 uV,
    # inside the MPE (5e-5 V + 20 uV) and found within U at every level
    for p, level in zip(points, (0.0, 1.0, 5.0, -5.0, 10.0), strict=True):
        assert p["nominal"]["value"] == pytest.approx(level)
        truth = 2e-5 * level + 3e-6
        assert abs(p["error"]["value"] - truth) <= p["expanded_uncertainty"]["value"], p
        # simple acceptance (ILAC-G8): conditional where U reaches past the MPE (0 V)
        inside = abs(p["error"]["value"]) + p["expanded_uncertainty"]["value"]
        expected = "pass" if inside <= p["mpe"]["value"] else "conditional_pass"
        assert p["decision"] == expected, p
    assert record["decision"] in ("pass", "conditional_pass")
    listed = run_labctl(["registry", "list", "--registry", registry], site, home)
    assert listed.returncode == 0 and record["id"][:8] in listed.stdout


def test_a_set_point_outside_the_source_limits_is_refused_before_anything_moves(
        tmp_path: Path) -> None:
    site = install(tmp_path / "site")
    home = tmp_path / "home"
    home.mkdir()
    procedure = tmp_path / "too-high.yaml"
    text = (HERE / "voltfam-dcv.yaml").read_text(encoding="utf-8")
    procedure.write_text(text.replace("{level: 10 V}", "{level: 12 V}"), encoding="utf-8")
    done = run_labctl(["run", str(procedure), "--bench", "sim-voltfam.yaml", "--registry",
                       f"sqlite:///{tmp_path / 'r.db'}"], site, home)
    assert done.returncode == 2, done.stdout + done.stderr
    message = done.stderr + done.stdout
    assert "too-high.yaml:" in message and "outside the limits" in message
    assert not list((home / "runs").glob("*")) if (home / "runs").exists() else True
