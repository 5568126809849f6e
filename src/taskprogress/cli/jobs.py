"""``taskprogress jobs submit|list|show|cancel|rerun|delete``: ZStack's LongJob API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from taskprogress.cli import connect
from taskprogress.cli.failure import USAGE, CliError
from taskprogress.cli.progress import PlainOption, TimeoutOption, run_watch

if TYPE_CHECKING:
    from taskprogress.sdk import LongJob

app = typer.Typer(no_args_is_help=True, help="Long jobs (ZStack's LongJob API): submit, list, show, cancel, ...")

JobUuid = Annotated[str, typer.Argument(help="the long job's uuid", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="print the inventory as JSON")]
WatchOption = Annotated[bool, typer.Option("--watch", help="watch its progress until it ends (exit code as watch)")]
STATES = ("Waiting", "Running", "Suspended", "Canceling", "Canceled", "Succeeded", "Failed")


@app.command()
def submit(
    job_name: Annotated[
        str, typer.Option("--job-name", envvar="TASKPROGRESS_JOB_NAME", help="the job type, e.g. ScriptedJob")
    ],
    data: Annotated[
        str | None, typer.Option("--data", envvar="TASKPROGRESS_JOB_DATA", help="jobData: JSON text")
    ] = None,
    data_file: Annotated[
        Path | None, typer.Option("--data-file", envvar="TASKPROGRESS_JOB_DATA_FILE", help="jobData from a file")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", envvar="TASKPROGRESS_JOB_DISPLAY_NAME")] = None,
    description: Annotated[str | None, typer.Option("--description", envvar="TASKPROGRESS_JOB_DESCRIPTION")] = None,
    watch: WatchOption = False,
    plain: PlainOption = None,
    timeout: TimeoutOption = None,
    as_json: JsonOption = False,
    server: connect.ServerOption = None,
) -> None:
    """Submit a long job (SubmitLongJob). Its progress is under the apiId printed."""
    job_data = _job_data(data, data_file)
    with connect.logged_in_client(server) as client:
        with connect.sdk_errors():
            job = client.submit_long_job(job_name, job_data, name=name, description=description)
        _print_job(job, as_json, f"submitted long job {job.uuid} ({job.job_name}, {job.state}); apiId {job.api_id}")
        if watch:
            run_watch(client, job.api_id or "", plain, timeout, title=job.name or job.job_name)
        elif not as_json:
            typer.echo(f"watch it with: taskprogress watch {job.api_id}")


@app.command("list")
def list_(
    state: Annotated[
        list[str] | None,
        typer.Option("--state", envvar="TASKPROGRESS_JOB_STATE", help=f"only these states ({', '.join(STATES)})"),
    ] = None,
    job_name: Annotated[str | None, typer.Option("--job-name", envvar="TASKPROGRESS_JOB_NAME")] = None,
    name: Annotated[str | None, typer.Option("--name", envvar="TASKPROGRESS_JOB_DISPLAY_NAME")] = None,
    limit: Annotated[int, typer.Option(envvar="TASKPROGRESS_JOB_LIMIT", min=1, help="at most this many")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="print the inventories as JSON")] = False,
    server: connect.ServerOption = None,
) -> None:
    """List long jobs (QueryLongJob), newest first."""
    conditions = []
    if state:
        unknown = sorted(set(state) - set(STATES))
        if unknown:
            raise CliError(f"unknown state {', '.join(unknown)}: one of {', '.join(STATES)}", USAGE)
        conditions.append(f"state?={','.join(state)}")
    if job_name:
        conditions.append(f"jobName={job_name}")
    if name:
        conditions.append(f"name={name}")
    with connect.sdk_errors(), connect.logged_in_client(server) as client:
        jobs = client.list_long_jobs(*conditions, limit=limit)
    from taskprogress.cli import render

    if as_json:
        typer.echo(json.dumps({"inventories": render.zstack_json(jobs)}, indent=2))
        return
    if not jobs:
        typer.echo("no long jobs")
        return
    _job_table(jobs)


@app.command()
def show(uuid: JobUuid, as_json: JsonOption = False, server: connect.ServerOption = None) -> None:
    """Print a long job's inventory."""
    with connect.sdk_errors(), connect.logged_in_client(server) as client:
        job = client.get_long_job(uuid)
    _print_job(job, as_json, None)


@app.command()
def cancel(uuid: JobUuid, as_json: JsonOption = False, server: connect.ServerOption = None) -> None:
    """Cancel a long job; returns once it is canceled."""
    with connect.sdk_errors(), connect.logged_in_client(server) as client:
        job = client.cancel_long_job(uuid)
    _print_job(job, as_json, f"long job {job.uuid}: {job.state}")


@app.command()
def rerun(
    uuid: JobUuid,
    watch: WatchOption = False,
    plain: PlainOption = None,
    timeout: TimeoutOption = None,
    as_json: JsonOption = False,
    server: connect.ServerOption = None,
) -> None:
    """Run a finished long job again (a new apiId: a new progress stream)."""
    with connect.logged_in_client(server) as client:
        with connect.sdk_errors():
            job = client.rerun_long_job(uuid)
        _print_job(job, as_json, f"long job {job.uuid}: {job.state}; apiId {job.api_id}")
        if watch:
            run_watch(client, job.api_id or "", plain, timeout, title=job.name or job.job_name)


@app.command()
def delete(uuid: JobUuid, server: connect.ServerOption = None) -> None:
    """Delete a long job in a final state (its progress is left to expire)."""
    with connect.sdk_errors(), connect.logged_in_client(server) as client:
        client.delete_long_job(uuid)
    typer.echo(f"deleted long job {uuid}")


def _job_data(data: str | None, data_file: Path | None) -> object:
    if (data is None) == (data_file is None):
        raise CliError("give the job's data with exactly one of --data JSON or --data-file PATH", USAGE)
    where = "--data"
    if data_file is not None:
        where = str(data_file)
        try:
            data = data_file.read_text()
        except OSError as exc:
            raise CliError(f"cannot read --data-file {data_file}: {exc.strerror or exc}", USAGE) from None
    assert data is not None
    try:
        return json.loads(data)
    except ValueError as exc:
        raise CliError(f"{where} is not valid JSON: {exc}", USAGE) from None


def _print_job(job: LongJob, as_json: bool, headline: str | None) -> None:
    from taskprogress.cli import render

    if as_json:
        typer.echo(json.dumps({"inventory": render.zstack_json(job)}, indent=2))
        return
    if headline:
        typer.echo(headline)
        return
    inventory = render.zstack_json(job)
    width = max(len(key) for key in inventory)
    for key, value in inventory.items():
        typer.echo(f"{key:<{width}}  {value}")


def _job_table(jobs: list[LongJob]) -> None:
    from datetime import datetime

    from rich.console import Console
    from rich.table import Table

    from taskprogress.cli import render

    def created(job: LongJob) -> datetime:
        try:
            return datetime.strptime(job.create_date or "", "%b %d, %Y %I:%M:%S %p")
        except ValueError:
            return datetime.min

    table = Table(box=None, header_style="bold")
    for column in ("UUID", "NAME", "JOB NAME", "STATE", "API ID", "CREATED", "SECONDS"):
        table.add_column(column, no_wrap=True)
    for job in sorted(jobs, key=created, reverse=True):
        table.add_row(
            job.uuid,
            job.name or "",
            job.job_name,
            f"[{render.state_style(job.state)}]{job.state}[/]",
            job.api_id or "",
            job.create_date or "",
            "" if job.execute_time is None else str(job.execute_time),
        )
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=max(console.width, 200))
    console.print(table)
