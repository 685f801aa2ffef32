"""The live progress display of ``labctl run``: step, point, wall and clock time.

It is an ``on_event`` callback of the runner, so it sees each event only after the
journal has it. Suspensions (environment out of range) and errors are printed as lines
above the bar.
"""

from __future__ import annotations

from typing import Any


def _clock_text(seconds: float) -> str:
    h, rem = divmod(int(seconds), 3600)
    m, s = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{s:02d}"


class RunProgress:
    """``with RunProgress(console) as p: calibrate(..., on_event=p.on_event)``."""

    def __init__(self, console: Any, *, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None
        self._t0: float | None = None
        self._virtual = False
        self._done_points: set[str] = set()

    def __enter__(self) -> RunProgress:
        return self

    def _start(self) -> None:
        """The bar appears with the run's first event: a refusal before anything
        moves (a bad file, a missing role) prints its one line without it."""
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("points measured"), TimeElapsedColumn(),
                TextColumn("{task.fields[clock]}"),
                console=self.console, transient=False)
            self._progress.__enter__()
            self._task = self._progress.add_task("starting", total=None, clock="")

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def on_event(self, event: dict[str, Any]) -> None:
        if self._progress is None:
            self._start()
            if self._progress is None:
                return
        kind = event.get("type")
        t = float(event.get("t") or 0.0)
        if self._t0 is None:
            self._t0 = t
        if kind == "run_started":
            self._virtual = bool(event.get("virtual_clock"))
        elif kind == "plan":
            total = len(event.get("points") or [])
            self._progress.update(self._task, total=total)
        elif kind == "point_started":
            self._progress.update(self._task, description=f"{event.get('point')}")
        elif kind == "point_finished":
            self._done_points.add(str(event.get("point")))
            self._progress.update(self._task, completed=len(self._done_points))
        elif kind == "resumed_run":
            self.console.print(f"resuming (attempt {event.get('attempt')})")
        elif kind in ("suspended", "resumed"):
            self.console.print(f"[yellow]{kind}[/]: {event.get('reason', '')}")
        elif kind == "error":
            self.console.print(f"[red]error[/]: {event.get('message', '')}")
        clock = "virtual" if self._virtual else "clock"
        self._progress.update(self._task, clock=f"{clock} {_clock_text(t - self._t0)}")
