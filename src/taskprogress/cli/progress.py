"""``taskprogress progress`` (the tree) and ``taskprogress watch`` (live bars, or lines on a pipe)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from taskprogress.cli import connect

if TYPE_CHECKING:
    from rich.console import Console

    from taskprogress.sdk import Client

ApiId = Annotated[str, typer.Argument(help="the apiId (32 lower-case hex characters)", show_default=False)]
PlainOption = Annotated[
    bool | None,
    typer.Option(
        "--plain/--live",
        envvar="TASKPROGRESS_PLAIN",
        help="one line per change / live bars (default: bars on a terminal, lines elsewhere)",
        show_default=False,
    ),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option(envvar="TASKPROGRESS_TIMEOUT", help="give up after this many seconds (exit 1)", min=0.1),
]


def progress(
    api_id: ApiId,
    all_: Annotated[bool, typer.Option("--all", help="the whole tree, not only the newest record")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print GetTaskProgress's reply as JSON")] = False,
    server: connect.ServerOption = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="read straight from this database instead of asking a server (no login needed); deliberately "
            "without an env variable, so TASKPROGRESS_DATABASE_URL set for a server does not switch modes",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print an API's progress (GetTaskProgress) as a tree: steps, sub-tasks, percentages, times."""
    from taskprogress.cli import render
    from taskprogress.sdk import ProgressSummary, TaskProgress

    if database_url is not None:
        reply = _from_database(database_url, api_id, all_)
    else:
        with connect.sdk_errors(), connect.logged_in_client(server) as client:
            records = client.get_task_progress(api_id, all=all_)
            summary = client.get_summary(api_id)
        reply: dict[str, Any] = {"inventories": render.zstack_json(records)}
        if summary is not None:
            reply["summary"] = render.zstack_json(summary)
    if as_json:
        typer.echo(json.dumps(reply, indent=2))
        return
    records = [TaskProgress.from_json(item) for item in reply["inventories"]]
    summary = ProgressSummary.from_json(reply["summary"]) if "summary" in reply else None
    if not records and summary is None:
        typer.echo(f"no progress for API {api_id} (unknown, not started, expired, or not yours)", err=True)
    _console().print(render.progress_tree(api_id, records, summary))


def watch(
    api_id: ApiId,
    server: connect.ServerOption = None,
    plain: PlainOption = None,
    timeout: TimeoutOption = None,
) -> None:
    """Follow an API's progress live until it ends, then print its result. Exit code: 0 succeeded, 1 failed,
    3 canceled."""
    with connect.logged_in_client(server) as client:
        run_watch(client, api_id, plain, timeout)


def run_watch(client: Client, api_id: str, plain: bool | None, timeout: float | None, title: str = "overall") -> None:
    from taskprogress.cli.watching import follow, make_view

    with connect.sdk_errors():
        if client.get_summary(api_id) is None:
            typer.echo(f"nothing is known of API {api_id} yet: waiting for it to start", err=True)
    outcome = follow(client, api_id, make_view(plain, title), timeout)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


def _from_database(database_url: str, api_id: str, all_: bool) -> dict[str, Any]:
    from taskprogress.store import Store

    store = Store.open(database_url)
    try:
        return {"inventories": store.get_task_progress(api_id, all=all_)}
    finally:
        store.close()


def _console() -> Console:
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:  # a pipe or a file: long lines kept whole rather than wrapped at 80
        console = Console(highlight=False, width=max(console.width, 160))
    return console
