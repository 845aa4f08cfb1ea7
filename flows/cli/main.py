"""The ``maskloop`` command: one Typer app with a sub-app per command group.

Each group lives in its own ``*_cmd.py`` file and receives the settings built once here through
``ctx.obj`` (see :func:`flows.cli.context.settings_of`). :func:`main` is the console-script entry:
it turns every maskloop error into one line on stderr and its exit code, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from flows.cli import groups
from flows.cli.context import CliContext
from flows.cli.errors import KNOWN_ERRORS, report_error

app = typer.Typer(
    name="maskloop",
    help="maskloop: the data engine for video segmentation (ingest -> masklets -> review -> "
    "dataset versions -> retraining -> champion).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None, "--home", help="Work directory of the embedded defaults (MASKLOOP_HOME).", show_default=False
    ),
) -> None:
    """Build the settings once for every sub-command."""
    ctx.obj = CliContext(home=home)


groups.register(app)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns (and exits with) the process exit status.

    Usage mistakes are reported by Typer (exit 2); maskloop errors become one ``error: ...`` line
    on stderr and their exit code.
    """
    try:
        app(args=argv, prog_name="maskloop")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except KNOWN_ERRORS as exc:
        code = report_error(exc)
    if argv is None:
        sys.exit(code)
    return code
