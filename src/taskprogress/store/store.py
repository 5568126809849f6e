"""``Store``: the one object the rest of the project uses to reach the database."""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.exc import SQLAlchemyError

from taskprogress.core.inventory import build_forest, to_inventory
from taskprogress.errors import StorageError, invalid_api_id
from taskprogress.global_config import CATALOG, definition
from taskprogress.ids import is_valid_uuid
from taskprogress.store import progress_reads, retention_sql
from taskprogress.store.config_cache import ConfigCache
from taskprogress.store.engine import create_engine, is_memory, normalize_url
from taskprogress.store.notifier import ChangeListener, ChangeNotifier
from taskprogress.store.ops import Op, SlotRef
from taskprogress.store.progress_writes import BatchWriter, upsert
from taskprogress.store.tables import global_config
from taskprogress.store.writer import GroupCommitWriter

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 0x7A5C  # PostgreSQL advisory locks: one node migrates at a time,
_CLEANUP_LOCK = 0x7A5D  # and one cleans up


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class CleanupResult(NamedTuple):
    apis: int
    records: int


class Store:
    """Progress records and settings in SQLite (embedded default) or PostgreSQL.

    Writes from the producer library go through a group-commit writer (``submit``/``flush``); reads are
    direct. Open with ``Store.open(url)``, which creates or upgrades the schema.
    """

    def __init__(self, engine: sa.Engine, *, node_uuid: str | None, max_delay: float) -> None:
        self.engine = engine
        self.node_uuid = node_uuid
        # One shared in-memory connection cannot hold two transactions at once: serialize its users.
        self._memory_lock = threading.RLock() if is_memory(engine.url) else None
        self._autocommit_reads = (
            engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else None
        )
        self.config = ConfigCache(self._load_config)
        self.changes = ChangeNotifier()
        self._writer = GroupCommitWriter(self._apply, max_delay=max_delay)
        self._closed = False
        _open_stores.add(self)

    @classmethod
    def open(cls, url: str, *, node_uuid: str | None = None, max_delay: float = 0.01) -> Store:
        """Connect to ``url`` (``sqlite:////abs/path.db``, ``postgresql://...``), migrate, and return a store."""
        parsed = normalize_url(url)
        engine = create_engine(parsed)
        try:
            _migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StorageError(
                f"cannot open the database {parsed.render_as_string(hide_password=True)}: {exc}"
            ) from exc
        return cls(engine, node_uuid=node_uuid, max_delay=max_delay)

    def close(self) -> None:
        """Write pending progress and release the database."""
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        self.engine.dispose()
        _open_stores.discard(self)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- connections -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def connect(self, *, write: bool = False) -> Iterator[sa.Connection]:
        """A connection in a transaction, committed on success; driver errors become StorageError."""
        lock = self._memory_lock or contextlib.nullcontext()
        try:
            if not write and self._autocommit_reads is not None:
                # PostgreSQL reads are single statements or tolerate a moving snapshot: no BEGIN/ROLLBACK.
                with self._autocommit_reads.connect() as conn:
                    yield conn
                return
            with lock, self.engine.connect() as conn:
                if write:
                    conn.execution_options(sqlite_write=True)
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {exc}") from exc

    # -- the producer's sink -----------------------------------------------------------------------------

    def submit(self, op: Op) -> None:
        self._writer.submit(op)

    def flush(self) -> None:
        self._writer.flush()

    @property
    def progress_enabled(self) -> bool:
        return bool(self.config.get("progress", "on"))

    def _apply(self, ops: Sequence[Op]) -> None:
        delay_ms = int(self.config.get("progress", "deleteDelay")) * 1000
        with self.connect(write=True) as conn:
            writer = BatchWriter(conn, node_uuid=self.node_uuid, delete_delay_ms=delay_ms)
            writer.apply(ops)
        self.changes.publish(writer.apis)

    def listen_for_changes(self) -> ChangeListener | None:
        """On PostgreSQL, also wake this node's subscribers for progress written by other nodes."""
        if self.engine.dialect.name != "postgresql":
            return None
        url = self.engine.url.set(drivername="postgresql")

        def connect() -> Any:
            import psycopg  # only here: the listener needs a bare connection outside the pool

            return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)

        return ChangeListener(connect, self.changes).start()

    def position(self, api_id: str, slot: SlotRef | None = None) -> tuple[float, bool]:
        """Where an API stands for a report_until ticker: (percent so far, finished?).

        In a parallel sub-stage the percent is that sub-stage's own value.
        """
        with self.connect() as conn:
            state = progress_reads.api_state(conn, api_id)
            percent = (state["percent"] if state else None) or 0.0
            if slot is not None:
                percent = progress_reads.slot_value(conn, slot.stage_uuid, slot.idx) or 0.0
        finished = state is not None and state["finished_at"] is not None
        return percent, finished

    # -- GetTaskProgress ---------------------------------------------------------------------------------

    def get_task_progress(self, api_id: str, all: bool = False) -> list[dict[str, Any]]:
        """ZStack's GetTaskProgress: the newest record and its ancestors, root first; or, with ``all``, the
        whole forest. An unknown apiId gives ``[]``; a malformed one raises InvalidArgument (SYS.1007)."""
        if not is_valid_uuid(api_id):
            raise invalid_api_id(api_id)
        with self.connect() as conn:
            if all:
                return build_forest(progress_reads.all_records(conn, api_id))
            return [to_inventory(row) for row in progress_reads.newest_with_ancestors(conn, api_id)]

    def api_summary(self, api_id: str, now: int | None = None) -> dict[str, Any] | None:
        """The API's overall percent, rate, ETA (with its basis) and stall flag; None when it has no progress.

        See ``core.summary``; the window and the stall timeout are ``progress.rateWindow`` and
        ``progress.stallTimeout``.
        """
        now = now_ms() if now is None else now
        with self.connect() as conn:
            summary = progress_reads.progress_summary(conn, api_id, now, *self.summary_settings())
        return None if summary is None else {"apiId": api_id, **summary}

    def summary_settings(self) -> tuple[int, int]:
        """``progress.rateWindow`` and ``progress.stallTimeout``, in milliseconds."""
        return (
            int(self.config.get("progress", "rateWindow")) * 1000,
            int(self.config.get("progress", "stallTimeout")) * 1000,
        )

    # -- global configuration ----------------------------------------------------------------------------

    def _load_config(self) -> dict[tuple[str, str], str]:
        with self.connect() as conn:
            return {(r.category, r.name): r.value for r in conn.execute(sa.select(global_config))}

    def get_config(self, category: str, name: str) -> Any:
        definition(category, name)
        return self.config.get(category, name)

    def update_config(self, category: str, name: str, value: object) -> str:
        """Validate and store a setting; every node sees it within a second. Returns the stored text."""
        text = definition(category, name).normalize(str(value))
        with self.connect(write=True) as conn:
            upsert(conn, global_config, {"category": category, "name": name, "value": text}, ("category", "name"))
        self.config.invalidate()
        return text

    def list_configs(self) -> list[dict[str, Any]]:
        stored = self._load_config()
        return [
            {
                "category": d.category,
                "name": d.name,
                "value": stored.get(key, d.default),
                "defaultValue": d.default,
                "description": d.description,
                "type": d.type,
            }
            for key, d in CATALOG.items()
        ]

    # -- retention ---------------------------------------------------------------------------------------

    def cleanup(self, now: int | None = None, *, batch_size: int = 5000) -> CleanupResult:
        """Delete the progress of APIs past their delete delay or TTL, one short transaction per batch."""
        now = now_ms() if now is None else now
        with self._cleanup_lock() as acquired:
            if not acquired:  # another node is cleaning up right now
                return CleanupResult(0, 0)
            return self._cleanup(now, batch_size)

    @contextlib.contextmanager
    def _cleanup_lock(self) -> Iterator[bool]:
        """On PostgreSQL, one node at a time cleans up (a session advisory lock held for the pass)."""
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        with self.engine.connect() as conn:
            acquired = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _CLEANUP_LOCK}).scalar()
            conn.commit()
            try:
                yield bool(acquired)
            finally:
                if acquired:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _CLEANUP_LOCK})
                    conn.commit()

    def _cleanup(self, now: int, batch_size: int) -> CleanupResult:
        ttl_ms = int(self.config.get("progress", "ttl")) * 1000
        apis = records = 0
        while True:
            with self.connect() as conn:
                expired = retention_sql.expired_api_ids(conn, now, ttl_ms, limit=100)
            if not expired:
                return CleanupResult(apis, records)
            progressed = False
            for api_id in expired:
                while True:
                    with self.connect(write=True) as conn:
                        deleted = retention_sql.delete_records(conn, api_id, batch_size)
                    records += deleted
                    if deleted < batch_size:
                        break
                with self.connect(write=True) as conn:
                    if retention_sql.drop_api(conn, api_id, now, ttl_ms):
                        apis += 1
                        progressed = True
            if not progressed:  # records keep arriving for these APIs; the next pass will retry
                return CleanupResult(apis, records)


def _migrate(engine: sa.Engine) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        conn.execution_options(sqlite_write=True)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


# Stores still open at interpreter exit get their pending progress written (the writer thread is a daemon).
_open_stores: weakref.WeakSet[Store] = weakref.WeakSet()


@atexit.register
def _close_open_stores() -> None:
    for store in list(_open_stores):
        try:
            store.close()
        except Exception:  # exiting anyway; say what was lost
            logger.exception("could not write pending progress at exit")
