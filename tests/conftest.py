from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgserver import PostgresServer


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
