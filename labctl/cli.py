"""The ``labctl`` command.

Subcommands live in their own modules (``labctl/commands/``) and are imported only
when invoked, so ``labctl --help`` stays fast. A ``LabctlError`` from any layer is
printed as one line on stderr and exits with status 2; never a traceback for a
user's mistake.
"""

from __future__ import annotations

import importlib
import sys

import click

from labctl import __version__
from labctl.errors import LabctlError

# name -> ("module", "attribute", "one-line help shown by labctl --help")
COMMANDS: dict[str, tuple[str, str, str]] = {
    "uncertainty": ("labctl.commands.uncertainty", "uncertainty",
                    "Evaluate an uncertainty budget file (GUM and Monte Carlo)."),
    "run": ("labctl.commands.run", "run", "Run a procedure on a bench."),
    "registry": ("labctl.commands.registry", "registry", "Look at records in a registry."),
    "reanalyse": ("labctl.commands.reanalyse", "reanalyse",
                  "Analyse a run again from its journal; store a correction."),
    "sim": ("labctl.commands.sim", "sim", "Serve simulated instruments in real time."),
    "certificate": ("labctl.commands.certificate", "certificate",
                    "Write a record's certificate (HTML, PDF, DCC XML)."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (mod, _, _) in COMMANDS.items() if _module_exists(mod))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(module: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labctl")
def cli() -> None:
    """labctl: run calibrations in a legal-metrology laboratory.

    Describe a bench in YAML, pick a procedure, and labctl drives the instruments,
    evaluates every result with its GUM uncertainty, decides conformity and keeps
    a signed record.
    """


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    try:
        cli.main(args=argv, prog_name="labctl", standalone_mode=False)
    except LabctlError as err:
        click.echo(f"labctl: error: {err}", err=True)
        return err.exit_code
    except click.exceptions.Abort as exc:  # click turns Ctrl-C into Abort
        cause = exc.__context__
        reason = str(cause) if isinstance(cause, KeyboardInterrupt) and str(cause) else ""
        click.echo(f"labctl: {reason or 'aborted'}", err=True)
        return 130
    except click.ClickException as err:
        err.show()
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP during a run
        click.echo(f"labctl: {exc or 'interrupted'}", err=True)
        return 130
    return 0


def console() -> None:
    """The console-script wrapper: exits with ``main``'s status."""
    sys.exit(main())


if __name__ == "__main__":
    console()
