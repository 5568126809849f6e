"""``taskprogress serve``: one server process over one database.

Start-up: open (and migrate) the store, create the ``admin`` account on first start, start the progress cleanup,
the sweeps and the job runner, then serve on uvicorn. SIGTERM/SIGINT: uvicorn finishes the requests in flight,
then the runner lets its jobs end, and ``store.close()`` writes the pending progress.
"""

from __future__ import annotations

import logging
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from taskprogress.core.agent_access import AgentAccess
from taskprogress.errors import TaskProgressError
from taskprogress.ids import new_uuid
from taskprogress.jobs import builtin_registry
from taskprogress.rest import create_app
from taskprogress.rest.webhooks import WebhookSender
from taskprogress.retention import CleanupLoop
from taskprogress.services.container import Services
from taskprogress.services.job_runner import RunnerSettings
from taskprogress.services.passwords import sha512_hex
from taskprogress.services.sweeper import SweepLoop
from taskprogress.store import Store

logger = logging.getLogger(__name__)

DEFAULT_ADMIN_PASSWORD = "password"  # ZStack's, so its documentation works; warned about when used


@dataclass(frozen=True)
class ServerSettings:
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8080
    admin_password: str | None = None  # plain text; None means ZStack's default
    job_workers: int = 4
    agent_access: AgentAccess = field(default_factory=AgentAccess)  # who may post agent reports
    long_job_workers: int = 4  # long jobs this process runs at once
    data_dir: Path = Path("taskprogress-data")  # what long jobs produce, one folder per job type (images...)
    node_timeout: float = 10.0  # seconds without a heartbeat after which a node's long jobs are taken over


def serve(settings: ServerSettings) -> None:
    registry = builtin_registry()
    plugins = registry.load_entry_points()  # a broken plugin stops the start-up here, with its name
    node_uuid = new_uuid()  # this process, as a management node: the long jobs it runs carry it
    store = Store.open(settings.database_url, node_uuid=node_uuid)
    webhooks = WebhookSender()
    services = Services.build(
        store,
        job_workers=settings.job_workers,
        on_job_finished=webhooks.job_finished,
        agent_access=settings.agent_access,
        job_registry=registry,
        runner_settings=RunnerSettings(
            node_uuid=node_uuid,
            workers=settings.long_job_workers,
            data_dir=settings.data_dir.resolve(),
            node_timeout=settings.node_timeout,
        ),
    )
    runner = services.long_jobs.runner
    try:
        if services.identity.ensure_admin(sha512_hex(settings.admin_password or DEFAULT_ADMIN_PASSWORD)):
            logger.info("created the admin account")
            if settings.admin_password is None:
                logger.warning(
                    "the admin password is the default 'password': set TASKPROGRESS_ADMIN_PASSWORD before the first "
                    "start, or change it with UpdateAccount"
                )
        sock = _listen(settings.host, settings.port)
        host, port = sock.getsockname()[:2]
        cleanup = CleanupLoop(store).start()
        listener = store.listen_for_changes()  # PostgreSQL: streams here also see what other nodes write
        sweeper = SweepLoop(store, services.identity, services.jobs).start()
        runner.start()
        logger.info(
            "management node %s runs up to %d long jobs at once; job types: %s (plugins: %s)",
            node_uuid,
            settings.long_job_workers,
            ", ".join(registry.names()),
            ", ".join(plugins) or "none",
        )
        try:
            server = uvicorn.Server(
                uvicorn.Config(
                    create_app(services),
                    log_config=None,  # the CLI configured logging
                    access_log=False,
                    lifespan="off",
                    timeout_graceful_shutdown=10,
                    # The client address is the TCP peer: X-Forwarded-For would let anyone on loopback (or a
                    # proxy there) claim an allowed agent network.
                    proxy_headers=False,
                )
            )
            url_host = f"[{host}]" if ":" in host else host
            logger.info(
                "taskprogress listening on http://%s:%d/zstack/v1 (database %s)",
                url_host,
                port,
                store.engine.url.render_as_string(hide_password=True),
            )
            _keep_signals_for_cleanup()
            server.run(sockets=[sock])
        finally:
            runner.close()  # its jobs are interrupted: resumable ones are released for the next start
            sweeper.stop()
            cleanup.stop()
            if listener is not None:
                listener.stop()
    finally:
        services.jobs.close()
        webhooks.close()
        store.close()
        logger.info("taskprogress stopped")


def _listen(host: str, port: int) -> socket.socket:
    """Bind before serving, so ``--port 0`` works and the log says the real port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:  # in use, not an address of this machine, a name that does not resolve...
        sock.close()
        raise TaskProgressError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _keep_signals_for_cleanup() -> None:
    """After a graceful shutdown uvicorn re-raises the signal it caught, with the handler that was there before.

    With Python's defaults that would kill the process (SIGTERM) or raise KeyboardInterrupt (SIGINT) before the
    jobs end and the pending progress is written; handlers that do nothing let ``serve`` finish its cleanup.
    """
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
