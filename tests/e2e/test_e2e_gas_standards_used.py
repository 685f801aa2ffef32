"""The record of a gas run lists the standards the run used: the cylinder the
calibrator diluted (journalled on each ``set`` as ``standards``) or the cylinders the
stream selector switched to (``cylinder_selected``), not a cylinder the bench lists but
the run never fed (labctl.calibration.standards_used)."""

from __future__ import annotations

from pathlib import Path

import yaml
from e2e_support import ROOT, edited_bench, journal_events, only_run

from labctl.cli import main


def _bench(tmp_path: Path, name: str, edit) -> Path:  # type: ignore[no-untyped-def]
    return edited_bench(tmp_path, ROOT / "benches" / name, edit, keep_seeds=True)


def _recorded_standards(tmp_path: Path, procedure: str, bench: Path) -> list[str]:
    out = tmp_path / "record.json"
    assert main(["run", str(ROOT / "procedures" / procedure), "--bench", str(bench),
                 "--runs-dir", str(tmp_path / "runs"), "--registry",
                 f"sqlite:///{tmp_path / 'registry.db'}", "--json", str(out), "-q"]) == 0
    record = yaml.safe_load(out.read_text(encoding="utf-8"))
    record = record.get("record", record)
    return [s["register_id"] for s in record["standards"]]


def test_a_cylinder_the_calibrator_never_diluted_is_not_listed(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["standards"].append("CYL-CH4-01")          # listed, never used
        data["instruments"]["calibrator"]["options"]["cylinder"] = "CYL-CO-01"

    used = _recorded_standards(tmp_path, "gas-co-jjg915.yaml",
                               _bench(tmp_path, "sim-gas-co.yaml", edit))
    assert "CYL-CO-01" in used and "CYL-CH4-01" not in used, used
    sets = [e for e in journal_events(only_run(tmp_path / "runs")) if e["type"] == "set"
            and e.get("role") == "calibrator"]
    assert sets and all(e.get("standards") == ["CYL-CO-01"] for e in sets)


def test_the_ghg_record_lists_the_cylinders_the_selector_fed(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["standards"].append("CYL-CO-01")           # listed, never plumbed

    used = _recorded_standards(tmp_path, "ghg-multipoint.yaml",
                               _bench(tmp_path, "sim-ghg.yaml", edit))
    assert sorted(used) == [f"CYL-GHG-0{i}" for i in range(1, 6)], used
