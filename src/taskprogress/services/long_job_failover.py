"""Failover: the runs of a management node that is gone are taken over by a living one (ZStack's ``nodeLeft``).

A node is gone when its heartbeat is older than the node timeout (killed, frozen, cut off), or when it removed
its heartbeat on a clean stop. Every living node looks every heartbeat; the compare-and-set on the run's claim
makes exactly one of them act on each orphaned run:

- Running, of a job type that can resume → released: a node with a free worker claims it and resumes it
  (``JobContext.resumed``); otherwise → Failed, "the management node ... running the job stopped";
- Suspended (a suspend was being carried out) → released, still Suspended: the user's request holds;
- Canceling → Canceled: the run is gone, there is nothing left to unwind.
"""

from __future__ import annotations

import logging

from taskprogress.jobs import JobRegistry, LongJobState, UnknownJobType, is_final
from taskprogress.services.clock import now_ms
from taskprogress.services.long_job_records import end_progress, state_values
from taskprogress.store import Store, long_jobs_sql

logger = logging.getLogger(__name__)

S = LongJobState


def take_over_orphans(store: Store, registry: JobRegistry, node_uuid: str, alive_since_ms: int) -> int:
    """Settle every run whose node has no heartbeat since ``alive_since_ms``; returns how many this node did."""
    with store.connect() as conn:
        orphans = long_jobs_sql.orphaned_runs(conn, alive_since_ms)
    settled = 0
    for row in orphans:
        if row["management_node_uuid"] == node_uuid:
            continue  # this node is alive: its runs are its own business
        state = S(row["state"])
        now = now_ms()
        if state is S.Canceling:
            after = S.Canceled
        elif state is S.Running and not _can_resume(registry, row["job_name"]):
            after = S.Failed
        else:
            after = state  # released as it is: Running resumes, Suspended waits for the user
        values = {**state_values(row, after, now), "run_token": None}
        if after is S.Failed:
            values["job_result"] = (
                f"the management node {row['management_node_uuid']} running the job stopped, "
                f"and the job type {row['job_name']} cannot resume"
            )
        with store.connect(write=True) as conn:
            won = long_jobs_sql.update_run(conn, row["uuid"], row["run_token"], values)
        if not won:
            continue  # another node settled it first
        settled += 1
        logger.warning("took over long job %s of node %s: now %s", row["uuid"], row["management_node_uuid"], after)
        if is_final(after):
            end_progress(store, row["api_id"], now, succeeded=False)
    with store.connect(write=True) as conn:
        long_jobs_sql.delete_dead_nodes(conn, alive_since_ms)
    return settled


def _can_resume(registry: JobRegistry, job_name: str) -> bool:
    """A type this node does not know may be known to another: released, so a node that has it resumes it."""
    try:
        return registry.get(job_name).supports_suspend
    except UnknownJobType:
        return True
