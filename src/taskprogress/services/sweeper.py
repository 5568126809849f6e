"""The periodic sweeps of the server: expired sessions and expired API job results.

Like the progress cleanup, it wakes every second and re-reads its intervals (``identity.session.cleanup.interval``,
``rest.expiredApi.scanInterval``), so a change takes effect without a restart.
"""

from __future__ import annotations

from taskprogress.periodic import PeriodicSweeps, Sweep
from taskprogress.services.api_jobs import ApiJobs
from taskprogress.services.identity import Identity
from taskprogress.store import Store


class SweepLoop(PeriodicSweeps):
    def __init__(self, store: Store, identity: Identity, jobs: ApiJobs, *, tick: float = 1.0) -> None:
        sweeps = [
            Sweep("identity", "session.cleanup.interval", identity.sweep_sessions, "expired sessions"),
            Sweep("rest", "expiredApi.scanInterval", jobs.sweep, "expired API job results"),
        ]
        super().__init__(store, sweeps, tick=tick, name="taskprogress-sweeper")
