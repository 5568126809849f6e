"""The commands that run on the server's machine: ``migrate``, ``cleanup``, ``serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from taskprogress.errors import TaskProgressError

DEFAULT_DATABASE = "taskprogress.db"


def default_database_url() -> str:
    """A SQLite file in the current folder: the embedded default."""
    return f"sqlite:///{Path(DEFAULT_DATABASE).resolve()}"


DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", envvar="TASKPROGRESS_DATABASE_URL", help="sqlite:////abs/path.db or postgresql://..."
    ),
]


def _open(database_url: str | None):  # the Store import stays lazy for a fast --help
    from taskprogress.store import Store

    return Store.open(database_url or default_database_url())


def migrate(database_url: DatabaseUrl = None) -> None:
    """Create or upgrade the database schema."""
    _open(database_url).close()
    typer.echo("database is up to date")


def cleanup(database_url: DatabaseUrl = None) -> None:
    """Delete expired progress now (the server also does this every progress.cleanupThreadInterval)."""
    store = _open(database_url)
    try:
        result = store.cleanup()
    finally:
        store.close()
    typer.echo(f"deleted {result.records} records of {result.apis} APIs")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(envvar="TASKPROGRESS_HOST", help="address to listen on")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="TASKPROGRESS_PORT", min=0, max=65535, help="port to listen on (0: any free port)")
    ] = 8080,
    database_url: DatabaseUrl = None,
    job_workers: Annotated[
        int, typer.Option(envvar="TASKPROGRESS_JOB_WORKERS", help="threads running async API jobs", min=1)
    ] = 4,
    log_level: Annotated[str, typer.Option(envvar="TASKPROGRESS_LOG_LEVEL", help="debug, info, warning")] = "info",
    agent_networks: Annotated[
        str,
        typer.Option(
            envvar="TASKPROGRESS_AGENT_NETWORKS",
            help="comma-separated CIDRs agents may post progress reports from (the TCP peer; X-Forwarded-For is "
            "ignored)",
        ),
    ] = "127.0.0.0/8,::1",
    agent_token: Annotated[
        str | None,
        typer.Option(
            envvar="TASKPROGRESS_AGENT_TOKEN",
            help="when set, agents must send it in X-Agent-Token (16+ printable characters; prefer the env "
            "variable, a command line is visible to other users)",
            show_default=False,
        ),
    ] = None,
    long_job_workers: Annotated[
        int, typer.Option(envvar="TASKPROGRESS_LONG_JOB_WORKERS", help="long jobs run at once", min=1, max=256)
    ] = 4,
    data_dir: Annotated[
        Path,
        typer.Option(
            envvar="TASKPROGRESS_DATA_DIR",
            help="folder for what long jobs produce (APIAddImageMsg: the image store), one folder per job type",
        ),
    ] = Path("taskprogress-data"),
    node_timeout: Annotated[
        float,
        typer.Option(
            envvar="TASKPROGRESS_NODE_TIMEOUT",
            help="seconds without a heartbeat after which another node takes over a node's long jobs",
            min=2.0,
            max=3600.0,
        ),
    ] = 10.0,
) -> None:
    """Serve ZStack's REST API (/zstack/v1). The admin password of the first start is TASKPROGRESS_ADMIN_PASSWORD."""
    import logging
    import os

    from taskprogress.server import ServerSettings
    from taskprogress.server import serve as run_server

    access = _agent_access(ctx, agent_networks, agent_token)
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    run_server(
        ServerSettings(
            database_url=database_url or default_database_url(),
            host=host,
            port=port,
            admin_password=os.environ.get("TASKPROGRESS_ADMIN_PASSWORD") or None,
            job_workers=job_workers,
            agent_access=access,
            long_job_workers=long_job_workers,
            data_dir=data_dir,
            node_timeout=node_timeout,
        )
    )


def _agent_access(ctx: typer.Context, networks: str, token: str | None):  # lazy imports: a fast --help
    """Checked before anything starts, so a typo stops the server with a message instead of opening the
    channel wider or narrower than meant."""
    import os

    from taskprogress.core.agent_access import AgentAccess, check_token, parse_networks

    # Click takes an empty variable for an unset one; an empty token (a secret that failed to render) must not
    # quietly mean "no token".
    for name, variable in (
        ("agent_networks", "TASKPROGRESS_AGENT_NETWORKS"),
        ("agent_token", "TASKPROGRESS_AGENT_TOKEN"),
    ):
        source = ctx.get_parameter_source(name)  # compared by name: typer ships its own copy of click
        if os.environ.get(variable) == "" and source is not None and source.name == "DEFAULT":
            raise typer.BadParameter(f"{variable} is set but empty; unset it or give a value", param_hint=variable)
    try:
        parsed = parse_networks(networks)
    except TaskProgressError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--agent-networks' / TASKPROGRESS_AGENT_NETWORKS") from None
    if token is not None:
        try:
            check_token(token)
        except TaskProgressError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--agent-token' / TASKPROGRESS_AGENT_TOKEN") from None
    return AgentAccess(parsed, token)
