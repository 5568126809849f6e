"""The database a benchmark runs on: ``--database-url``, ``--postgres`` (a throwaway server), or SQLite."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="default: a SQLite file in a temp folder")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL (fsync off)")


def database_url(args: argparse.Namespace, tmp: Path, stack: contextlib.ExitStack) -> str:
    """The URL to benchmark; a throwaway PostgreSQL (the tests' harness) lives as long as ``stack``."""
    if args.postgres:
        sys.path.insert(0, str(TESTS))
        from pgserver import PostgresServer

        server = stack.enter_context(PostgresServer())
        server.create_database("bench")
        return server.url_for("bench")
    return args.database_url or f"sqlite:///{tmp / 'bench.db'}"
