"""Throwaway PostgreSQL server for the test suite.

``PostgresServer`` runs a private PostgreSQL cluster in a temporary
directory, listening only on 127.0.0.1 on a free port, tuned for speed
rather than durability (fsync off, etc.), and deletes everything on
``stop()``.  It needs the PostgreSQL *server* binaries (``initdb``,
``pg_ctl``, ``postgres``); on Debian those come from the ``postgresql``
package, which ``scripts/install --test`` installs.

Usage::

    with PostgresServer() as pg:
        pg.create_database("t_1")
        url = pg.url_for("t_1")  # postgresql+psycopg://postgres@127.0.0.1:PORT/t_1
        ...

Running as root: ``initdb`` and ``postgres`` refuse to run as root, so in
that case every server command is run as the ``postgres`` system user
(created by the Debian package) through ``runuser -u postgres -- ...``, and
the temporary directory is handed over to that user.
"""

from __future__ import annotations

import atexit
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

_PG_LIB = "/usr/lib/postgresql"
_RUN_AS = "postgres"  # system user used when we are root
_START_ATTEMPTS = 3  # retries if the picked port got taken before the server bound it


def _version_key(path: str) -> tuple[int, ...]:
    """Sort key for /usr/lib/postgresql/<version>/bin: numeric on the version."""
    version = Path(path).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (-1,)


def find_bindir() -> Path:
    """Directory holding initdb/pg_ctl: the highest /usr/lib/postgresql/*/bin,
    else wherever ``initdb`` is on PATH."""
    candidates = [d for d in glob.glob(f"{_PG_LIB}/*/bin") if os.access(os.path.join(d, "initdb"), os.X_OK)]
    if candidates:
        return Path(max(candidates, key=_version_key))
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError(
        "PostgreSQL server binaries not found (no initdb under "
        f"{_PG_LIB}/*/bin or on PATH). Run `scripts/install --test`, or install "
        "Debian's `postgresql` package."
    )


def _free_port() -> int:
    """Ask the kernel for a free TCP port on 127.0.0.1 (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _world_traversable(path: Path) -> bool:
    """True if every ancestor of ``path`` is searchable (o+x) by other users,
    i.e. the ``postgres`` user can reach a directory we create inside it."""
    for p in [path, *path.parents]:
        if not p.stat().st_mode & 0o001:
            return False
    return True


class PostgresServer:
    """A private, disposable PostgreSQL cluster.  See the module docstring."""

    def __init__(self) -> None:
        self.port: int | None = None
        self.bindir: Path | None = None
        self._dir: Path | None = None
        self._running = False
        self._as_root = os.geteuid() == 0

    # -- paths -------------------------------------------------------------

    @property
    def datadir(self) -> Path:
        assert self._dir is not None, "server not started"
        return self._dir / "data"

    @property
    def logfile(self) -> Path:
        assert self._dir is not None, "server not started"
        return self._dir / "log"

    # -- running commands --------------------------------------------------

    def _env(self) -> dict[str, str]:
        # Drop PG* variables (PGDATA, PGPORT, PGHOST, ...) from the caller's
        # environment so they cannot redirect our commands to another cluster.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = env["LANG"] = "C"
        return env

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert self.bindir is not None and self._dir is not None
        cmd = [str(self.bindir / tool), *args]
        if self._as_root:
            cmd = ["runuser", "-u", _RUN_AS, "--", *cmd]
        # cwd=self._dir: the postgres user may not be able to read our cwd.
        proc = subprocess.run(
            cmd,
            cwd=self._dir,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed with exit code {proc.returncode}\n"
                f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}\n"
                f"--- server log (tail) ---\n{self._log_tail()}"
            )
        return proc

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, AssertionError):
            return "(no log)"

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> PostgresServer:
        if self._running:
            return self
        self.bindir = find_bindir()

        # The unix socket lives in the temp dir too (-k), and socket paths
        # are limited to ~107 bytes, so keep the dir short.  As root, the
        # postgres user must also be able to reach it: fall back to /tmp if
        # the default temp dir sits under a private (e.g. 0700) directory.
        parent = Path(tempfile.gettempdir())
        if len(str(parent)) > 60 or (self._as_root and not _world_traversable(parent)):
            parent = Path("/tmp")
        self._dir = Path(tempfile.mkdtemp(prefix="tp-pg-", dir=parent))
        atexit.register(self.stop)  # never leak a server if the caller forgets
        try:
            if self._as_root:
                # mkdtemp makes a 0700 root-owned dir: hand it to postgres.
                shutil.chown(self._dir, user=_RUN_AS, group=_RUN_AS)

            self._run(
                "initdb",
                "-D", str(self.datadir),
                "-A", "trust",
                "-U", "postgres",
                "-E", "UTF8",
                "--locale=C",
                "--no-sync",
            )  # fmt: skip

            for attempt in range(1, _START_ATTEMPTS + 1):
                self.port = _free_port()
                opts = (
                    f"-p {self.port} -k {self._dir} -c listen_addresses=127.0.0.1"
                    " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                    " -c max_connections=200"
                )
                proc = self._run(
                    "pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile),
                    "-o", opts, "-w", "-t", "60", "start",
                    check=False,
                )  # fmt: skip
                if proc.returncode == 0:
                    break
                log = self._log_tail()
                if attempt < _START_ATTEMPTS and "could not bind" in log:
                    continue  # someone grabbed the port in between: try another
                raise RuntimeError(
                    f"PostgreSQL failed to start (pg_ctl exit code {proc.returncode})\n"
                    f"--- pg_ctl output ---\n{proc.stdout}{proc.stderr}\n"
                    f"--- server log (tail) ---\n{log}"
                )
            self._running = True
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Kill the server (immediate mode: no checkpoint, nothing to keep) and
        delete the temp dir.  Safe to call more than once."""
        if self._dir is None:
            return
        try:
            if self.datadir.joinpath("postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop", check=False)
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
            self._running = False
            atexit.unregister(self.stop)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- URLs and databases ------------------------------------------------

    def url_for(self, dbname: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) for database ``dbname``."""
        assert self._running, "server not started"
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the default ``postgres`` database."""
        return self.url_for("postgres")

    def _admin_connect(self) -> psycopg.Connection:
        assert self._running, "server not started"
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True)

    def create_database(self, name: str, template: str | None = None) -> None:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self._admin_connect() as conn:
            conn.execute(query)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists; WITH (FORCE) terminates any sessions
        still connected to it (e.g. a leaked connection pool)."""
        query = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with self._admin_connect() as conn:
            conn.execute(query)
