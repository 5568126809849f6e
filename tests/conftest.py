from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgserver import PostgresServer
from serverproc import ServerProcess
from zstack import ZStack


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster for the whole session.

    Deliberately does not skip when PostgreSQL is missing: start() raises and
    every PostgreSQL-parametrized test errors (run `scripts/install --test`).
    """
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLAlchemy URL of an empty database, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/taskprogress.db"
        return
    # Requested lazily so sqlite-only runs (-k sqlite) never start PostgreSQL.
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.create_database(name)
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)  # WITH (FORCE): lingering connections don't block


@pytest.fixture
def store(database_url: str):
    from taskprogress import Store

    s = Store.open(database_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database for one test module's server, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('server')}/taskprogress.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"s_{uuid.uuid4().hex[:12]}"
    server.create_database(name)
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)


@pytest.fixture(scope="module")
def server(server_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real ``taskprogress serve`` process, shared by the tests of one module; it must stop cleanly."""
    process = ServerProcess(server_database_url, tmp_path_factory.mktemp("log") / "serve.log").start()
    try:
        yield process
    finally:
        code = process.stop()
        assert code == 0, f"taskprogress serve exited with {code}:\n{process.log()}"
        assert "Traceback" not in process.log(), process.log()


@pytest.fixture(scope="module")
def server_store(server: ServerProcess) -> Iterator:
    """The test process as another node on the module server's database: producer code writing progress there."""
    from taskprogress import Store

    s = Store.open(server.database_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def zs(server: ServerProcess) -> Iterator[ZStack]:
    """A ZStack REST client on the module's server, with a config override that is undone after the test."""
    client = ZStack(server.base_url)
    try:
        yield client
    finally:
        client.restore_configs()
        client.close()
