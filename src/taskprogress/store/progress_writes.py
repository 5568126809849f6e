"""Applying a batch of producer operations in one transaction.

Per API touched by the batch, the ``progress_api`` row is locked first (in api_id order, so concurrent writers
never deadlock); everything that must agree across processes is decided under that lock:
- the served percent of a Progress record never drops below an earlier one of the same API;
- a parallel stage's value is recomputed from the slots in the database, so workers anywhere agree;
- a report_until tick is dropped if the API has finished (ZStack's check is racy; this one is not);
- a Task record's ``currentStep`` follows its last Task sibling.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from taskprogress.core.stages import served_content
from taskprogress.store.notifier import CHANNEL
from taskprogress.store.ops import PROGRESS, TASK, CreateParallel, FinishApi, Op, Record, SlotRef, StartApi
from taskprogress.store.tables import parallel_slot, progress_api, run_history, step_history, task_progress

HISTORY_WEIGHT = 0.3  # weight of the newest run in the moving average of durations

_RECORD_COLUMNS = (
    "api_id",
    "task_uuid",
    "parent_uuid",
    "task_name",
    "type",
    "content",
    "arguments",
    "opaque",
    "raw_percent",
    "current_step",
    "total_steps",
    "node_uuid",
    "time",
)


@dataclass(slots=True)
class _ApiState:
    task_name: str
    total_steps: int | None
    percent: float | None
    started_at: int
    last_time: int
    finished_at: int | None
    delete_at: int | None
    progressed_at: int | None


def insert_ignore(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on either backend."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


def upsert(conn: sa.Connection, table: sa.Table, row: dict, keys: Sequence[str]) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**row)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={k: v for k, v in row.items() if k not in keys})
    conn.execute(stmt)


def _new_api_row(op: Op) -> dict:
    """The progress_api row for an API first seen in this batch (a record or agent report may come first)."""
    return {
        "api_id": op.api_id,
        "task_name": op.task_name if isinstance(op, StartApi | Record) else "unknown",
        "total_steps": op.total_steps if isinstance(op, StartApi) else None,
        "started_at": op.time,
        "last_time": op.time,
    }


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BatchWriter:
    """Writes one batch. Built per batch; holds the batch's view of each API under lock."""

    def __init__(self, conn: sa.Connection, *, node_uuid: str | None, delete_delay_ms: int) -> None:
        self.conn = conn
        self.node_uuid = node_uuid
        self.delete_delay_ms = delete_delay_ms
        self.postgres = conn.dialect.name == "postgresql"
        placeholder = "%s" if self.postgres else "?"
        self.insert_sql = (
            f"INSERT INTO task_progress ({', '.join(_RECORD_COLUMNS)}) "
            f"VALUES ({', '.join([placeholder] * len(_RECORD_COLUMNS))})"
        )
        self.apis: dict[str, _ApiState] = {}
        self.rows: list[tuple] = []
        self.last_step: dict[tuple[str, str | None], int] = {}
        self.history: dict[tuple[str, str], int | None] = {}

    def apply(self, ops: Sequence[Op]) -> None:
        self._lock_apis(ops)
        for op in ops:
            if isinstance(op, Record):
                self._record(op)
            elif isinstance(op, StartApi):
                # Joining an existing API (a worker in another process, a late agent) keeps its name and
                # does not reopen it: records written after the finish expire with it.
                state = self.apis[op.api_id]
                if state.total_steps is None:
                    state.total_steps = op.total_steps
            elif isinstance(op, FinishApi):
                self._finish(op)
            elif isinstance(op, CreateParallel):
                self.conn.execute(
                    parallel_slot.insert(),
                    [
                        {
                            "stage_uuid": op.stage_uuid,
                            "idx": i,
                            "api_id": op.api_id,
                            "stage_start": op.stage_start,
                            "start": a,
                            "end": b,
                            "value": a,
                        }
                        for i, (a, b) in enumerate(op.subs)
                    ],
                )
        self._insert_rows()
        if self.postgres:  # wake the other nodes' streams; delivered at commit
            for chunk in _chunks(sorted(self.apis), 200):
                self.conn.execute(sa.select(sa.func.pg_notify(CHANNEL, ",".join(chunk))))
        self.conn.execute(
            progress_api.update().where(progress_api.c.api_id == sa.bindparam("b_api_id")),
            [
                {
                    "b_api_id": api_id,
                    "task_name": s.task_name,
                    "total_steps": s.total_steps,
                    "percent": s.percent,
                    "last_time": s.last_time,
                    "finished_at": s.finished_at,
                    "delete_at": s.delete_at,
                    "progressed_at": s.progressed_at,
                }
                for api_id, s in self.apis.items()
            ],
        )

    def _lock_apis(self, ops: Sequence[Op]) -> None:
        first: dict[str, Op] = {}
        for op in ops:
            first.setdefault(op.api_id, op)
        # Retry once: on PostgreSQL a concurrent cleanup may drop a row between the insert and the lock.
        for _ in range(2):
            missing = sorted(set(first) - set(self.apis))
            if not missing:
                return
            insert_ignore(self.conn, progress_api, [_new_api_row(first[api_id]) for api_id in missing])
            query = sa.select(progress_api).where(progress_api.c.api_id.in_(missing)).order_by(progress_api.c.api_id)
            if self.postgres:
                query = query.with_for_update()
            for row in self.conn.execute(query):
                self.apis[row.api_id] = _ApiState(
                    row.task_name,
                    row.total_steps,
                    row.percent,
                    row.started_at,
                    row.last_time,
                    row.finished_at,
                    row.delete_at,
                    row.progressed_at,
                )
        if set(first) - set(self.apis):
            raise RuntimeError("progress_api rows vanished while writing; the batch will be retried")

    def _record(self, rec: Record) -> None:
        state = self.apis[rec.api_id]
        if rec.only_while_running and state.finished_at is not None:
            return
        content, raw, current_step, total_steps = rec.content, None, None, None
        if rec.type == PROGRESS and rec.percent is not None:
            absolute = rec.percent
            for slot in rec.slots:
                absolute = self._raise_slot(slot, absolute)
            raw = absolute
            if state.percent is None or absolute > state.percent:
                state.percent = absolute
                state.progressed_at = max(rec.time, state.last_time)
            content = served_content(state.percent)
        elif rec.type == TASK:
            state.progressed_at = max(rec.time, state.last_time)
            current_step = self._next_step(rec.api_id, rec.parent_uuid)
            total_steps = rec.total_steps
            if total_steps is None:
                learned = self._learned_steps(state.task_name, rec.task_name)
                # A guess from an earlier run that this run has outgrown is wrong: serve none rather than "5 of 2".
                total_steps = learned if learned is not None and learned >= current_step else None
        # Time never runs backwards within an API (clock steps, nodes with skewed clocks), so time order and
        # insertion order agree, and ties are broken by insertion.
        state.last_time = max(state.last_time, rec.time)
        self.rows.append(
            (
                rec.api_id,
                rec.task_uuid,
                rec.parent_uuid,
                rec.task_name,
                rec.type,
                content,
                rec.arguments,
                rec.opaque,
                raw,
                current_step,
                total_steps,
                self.node_uuid,
                state.last_time,
            )
        )

    def _raise_slot(self, slot: SlotRef, absolute: float) -> float:
        """Raise a sub-stage to ``absolute`` and return the parallel stage's value: its start plus what every
        sub-stage has done (start offsets included, which ZStack drops)."""
        where = (parallel_slot.c.stage_uuid == slot.stage_uuid) & (parallel_slot.c.idx == slot.idx)
        self.conn.execute(
            parallel_slot.update()
            .where(where & (parallel_slot.c.value < absolute))
            .values(
                value=sa.func.least(absolute, parallel_slot.c.end)
                if self.postgres
                else sa.func.min(absolute, parallel_slot.c.end)
            )
        )
        total = self.conn.execute(
            sa.select(
                sa.func.min(parallel_slot.c.stage_start) + sa.func.sum(parallel_slot.c.value - parallel_slot.c.start)
            ).where(parallel_slot.c.stage_uuid == slot.stage_uuid)
        ).scalar_one_or_none()
        return absolute if total is None else float(total)

    def _next_step(self, api_id: str, parent_uuid: str | None) -> int:
        key = (api_id, parent_uuid)
        last = self.last_step.get(key)
        if last is None:
            self._insert_rows()  # earlier Task records of this batch must be visible to the query
            t = task_progress.c
            parent_match = t.parent_uuid.is_(None) if parent_uuid is None else t.parent_uuid == parent_uuid
            last = (
                self.conn.execute(
                    sa.select(t.current_step)
                    .where((t.api_id == api_id) & (t.type == TASK) & parent_match)
                    .order_by(t.seq.desc())
                    .limit(1)
                ).scalar_one_or_none()
                or 0
            )
        self.last_step[key] = last + 1
        return last + 1

    def _learned_steps(self, api_task_name: str, group_name: str) -> int | None:
        key = (api_task_name, group_name)
        if key not in self.history:
            self.history[key] = self.conn.execute(
                sa.select(step_history.c.total_steps).where(
                    (step_history.c.task_name == api_task_name) & (step_history.c.group_name == group_name)
                )
            ).scalar_one_or_none()
        return self.history[key]

    def _finish(self, op: FinishApi) -> None:
        state = self.apis[op.api_id]
        state.finished_at = op.time
        state.delete_at = op.time + self.delete_delay_ms
        if op.learn_steps:
            self._insert_rows()
            self._learn_steps(op)
            self._learn_duration(state, op.time)

    def _learn_duration(self, state: _ApiState, finished_at: int) -> None:
        """Fold this run's duration into the API name's moving average (recent runs weigh more)."""
        duration = max(0, finished_at - state.started_at)
        h = run_history.c
        previous = self.conn.execute(
            sa.select(h.runs, h.mean_duration_ms).where(h.task_name == state.task_name)
        ).first()
        runs, mean = (
            (1, duration)
            if previous is None
            else (
                previous.runs + 1,
                round(previous.mean_duration_ms * (1 - HISTORY_WEIGHT) + duration * HISTORY_WEIGHT),
            )
        )
        upsert(
            self.conn,
            run_history,
            {
                "task_name": state.task_name,
                "runs": runs,
                "mean_duration_ms": mean,
                "last_duration_ms": duration,
                "updated_at": finished_at,
            },
            ("task_name",),
        )

    def _learn_steps(self, op: FinishApi) -> None:
        """Remember how many Task records each group had, for the next run of the same API name."""
        t = task_progress.c
        counts = self.conn.execute(
            sa.select(t.task_name, t.parent_uuid, sa.func.count())
            .where((t.api_id == op.api_id) & (t.type == TASK))
            .group_by(t.task_name, t.parent_uuid)
        ).all()
        per_group: dict[str, int] = {}
        for group_name, _parent, count in counts:
            per_group[group_name] = max(per_group.get(group_name, 0), count)
        api_task_name = self.apis[op.api_id].task_name
        for group_name, count in per_group.items():
            upsert(
                self.conn,
                step_history,
                {"task_name": api_task_name, "group_name": group_name, "total_steps": count, "updated_at": op.time},
                ("task_name", "group_name"),
            )

    def _insert_rows(self) -> None:
        if self.rows:
            self.conn.exec_driver_sql(self.insert_sql, self.rows)
            self.rows = []
