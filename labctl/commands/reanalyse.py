"""``labctl reanalyse RUN --procedure FILE``: analyse a run again from its journal,
touching no instrument; with ``--supersedes ID`` store the result as a correction."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

from labctl.commands.registry import registry_option


@click.command()
@click.argument("run")
@click.option("--procedure", "procedure", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The procedure file (the run's, or a corrected one with the same id).")
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where run journals live (default: <labctl home>/runs).")
@click.option("--supersedes", metavar="RECORD_ID",
              help="Store the result as a new record that corrects this one.")
@registry_option
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the new record as JSON to FILE; without --supersedes, the "
                   "re-analysed points (not a record, nothing stored).")
def reanalyse(run: str, procedure: Path, runs_dir: Path | None, supersedes: str | None,
              registry_url: str | None, json_file: Path | None) -> None:
    """Analyse RUN (a run id, run directory or journal file) again from its journal.

    Records are never changed: a correction (after a wrong certificate value was fixed in
    the analysis, say) is a new record that names the one it supersedes. Without
    --supersedes the points are only printed.
    """
    from rich.console import Console

    from labctl.calibration import correct
    from labctl.calibration import reanalyse as analyse_again
    from labctl.procedures.resume import find_journal
    from labctl.report.tables import points_table

    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 100)
    journal = find_journal(run, runs_dir)
    if supersedes is None:
        from labctl.procedures.loading import load_procedure

        points = analyse_again(journal, procedure)
        steps = {step.id: {"en": step.title or step.id}
                 for step in load_procedure(procedure).steps}
        console.print(points_table(points, steps=steps,
                                   title=f"{journal} analysed again (not stored)"))
        if json_file is not None:
            _write_points(json_file, journal, procedure, points)
            console.print(f"points written to {json_file} (not a record: nothing is stored; "
                          "--supersedes RECORD_ID stores a correcting record)")
        return
    from labctl.calibration import run_info
    from labctl.procedures.journal import read_journal
    from labctl.registry.errors import RegistryError
    from labctl.registry.store import open_registry

    run_id = run_info(read_journal(journal)[0]).get("run_id")
    with open_registry(registry_url) as registry:
        old = registry.get(supersedes)  # a unique prefix is enough
        later = registry.superseded_by(old.id)
    if old.run_id != run_id:
        raise RegistryError(f"record {old.id} is of run {old.run_id}, not of run {run_id} "
                            f"({journal})", hint="a correction re-analyses the journal of the "
                            "run it corrects: give that run, or the record of this run")
    if later:
        raise RegistryError(f"record {old.id} is already superseded by {later[0]}",
                            hint=f"correct the correction instead: --supersedes {later[0]}")
    supersedes = old.id
    record, delivery = correct(journal, procedure, supersedes, registry_url)
    steps = record.method.steps if record.method is not None else None
    console.print(points_table(list(record.points), title="corrected points", steps=steps))
    if delivery.ok:
        console.print(f"record {record.id} supersedes {record.supersedes}; stored in the "
                      "registry")
    else:
        console.print(f"record {record.id} supersedes {record.supersedes}; queued in the "
                      f"outbox: {delivery.last_error or 'not delivered'}")
    if json_file is not None:
        json_file.write_text(json.dumps(record.document(), indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        console.print(f"record written to {json_file}")


def _write_points(json_file: Path, journal: Path, procedure: Path, points: list[Any]) -> None:
    """The points of a re-analysis as JSON: ``{"journal", "procedure", "record": null,
    "decision", "points"}`` (each point as in a record's ``points``)."""
    from labctl.results import overall_decision

    document = {"journal": str(journal), "procedure": str(procedure), "record": None,
                "note": "re-analysed points, not a record: nothing was stored",
                "decision": overall_decision(points),
                "points": [_finite(p.model_dump(mode="json")) for p in points]}
    json_file.write_text(json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
                         + "\n", encoding="utf-8")


def _finite(value: Any) -> Any:
    """``value`` with infinite numbers (a budget's infinite degrees of freedom) written as
    None, as a record writes them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
