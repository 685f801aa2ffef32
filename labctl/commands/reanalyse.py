"""``labctl reanalyse RUN --procedure FILE``: analyse a run again from its journal,
touching no instrument; with ``--supersedes ID`` store the result as a correction."""

from __future__ import annotations

import json
from pathlib import Path

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
              help="Write the new record as JSON to FILE (with --supersedes).")
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
        points = analyse_again(journal, procedure)
        console.print(points_table(points, title=f"{journal} analysed again (not stored)"))
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
    console.print(points_table(list(record.points), title="corrected points"))
    if delivery.ok:
        console.print(f"record {record.id} supersedes {record.supersedes}; stored in the "
                      "registry")
    else:
        console.print(f"record {record.id} supersedes {record.supersedes}; queued in the "
                      f"outbox: {delivery.last_error or 'not delivered'}")
    if json_file is not None:
        json_file.write_text(json.dumps(record.document(), indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
