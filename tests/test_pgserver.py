"""The throwaway-PostgreSQL harness itself works."""

from __future__ import annotations

import uuid

import psycopg

from pgserver import PostgresServer


def _conninfo(server: PostgresServer, dbname: str) -> str:
    # SQLAlchemy URL -> libpq URI: drop the "+psycopg" driver suffix.
    return server.url_for(dbname).replace("postgresql+psycopg://", "postgresql://", 1)


def _databases(server: PostgresServer) -> set[str]:
    with psycopg.connect(_conninfo(server, "postgres")) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def test_server_answers(postgres_server: PostgresServer) -> None:
    assert postgres_server.url == postgres_server.url_for("postgres")
    with psycopg.connect(_conninfo(postgres_server, "postgres")) as conn:
        (version,) = conn.execute("SHOW server_version").fetchone()
    assert version[:1].isdigit(), version


def test_create_and_drop_database(postgres_server: PostgresServer) -> None:
    name = f"t_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(name)
    assert name in _databases(postgres_server)

    # Dropping must work even while a session is still connected (FORCE).
    conn = psycopg.connect(_conninfo(postgres_server, name), autocommit=True)
    try:
        assert conn.execute("SELECT current_database()").fetchone() == (name,)
        postgres_server.drop_database(name)
    finally:
        conn.close()
    assert name not in _databases(postgres_server)


def test_create_database_from_template(postgres_server: PostgresServer) -> None:
    base, copy = (f"t_{uuid.uuid4().hex[:12]}" for _ in range(2))
    postgres_server.create_database(base)
    try:
        with psycopg.connect(_conninfo(postgres_server, base)) as conn:
            conn.execute("CREATE TABLE marker (x int)")
        postgres_server.create_database(copy, template=base)
        try:
            with psycopg.connect(_conninfo(postgres_server, copy)) as conn:
                assert conn.execute("SELECT to_regclass('marker') IS NOT NULL").fetchone() == (True,)
        finally:
            postgres_server.drop_database(copy)
    finally:
        postgres_server.drop_database(base)
    assert not {base, copy} & _databases(postgres_server)


def test_stop_is_idempotent() -> None:
    with PostgresServer() as server:
        assert _databases(server) >= {"postgres", "template0", "template1"}
        datadir = server.datadir
    assert not datadir.exists()
    server.stop()  # second stop is a no-op
