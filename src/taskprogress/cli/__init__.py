"""The ``taskprogress`` command: parses arguments and calls the library or the SDK; every option has an env
variable. Each module here holds a few commands; this one only puts them together and turns failures into one
line on stderr and an exit code (never a traceback).

- ``admin``: the server's machine (``serve``, ``migrate``, ``cleanup``), straight on the database;
- ``account``: ``login`` / ``logout`` (the session file: ``session_file``);
- ``progress``: ``progress`` (a tree) and ``watch`` (live bars, or lines on a pipe: ``watching``, ``render``);
- ``jobs``: ``jobs submit|list|show|cancel|rerun|delete``;
- ``demo``: a ScriptedJob showing every kind of progress, on an embedded server when none is running.
"""

from __future__ import annotations

import sys

import typer

from taskprogress.cli import account, admin, demo, jobs, progress
from taskprogress.cli.failure import CliError
from taskprogress.errors import TaskProgressError

app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help="ZStack-compatible task progress."
)
app.command()(admin.serve)
app.command()(admin.migrate)
app.command()(admin.cleanup)
app.command()(account.login)
app.command()(account.logout)
app.command()(progress.progress)
app.command()(progress.watch)
app.add_typer(jobs.app, name="jobs")
app.command()(demo.demo)


def main() -> None:
    try:
        app()
    except CliError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(exc.exit_code) from None
    except TaskProgressError as exc:
        typer.echo(f"error: {exc.error_code.code}: {exc}", err=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise SystemExit(130) from None
    finally:
        sys.stdout.flush()
