"""Agent reports into the store, through the producer's write path (group commit).

The reports arrive validated and placed (``core.agent_reports``); here they become Progress records, as the
producer library's own ``report()`` makes them, so the store applies the same rules: the served percent never
goes backwards, time never runs backwards within an API, and records written after the API finished expire
with it. Who may report is checked by the HTTP layer against ``access``.
"""

from __future__ import annotations

from collections.abc import Sequence

from taskprogress.core.agent_access import AgentAccess
from taskprogress.core.agent_reports import AgentReport
from taskprogress.store import Store
from taskprogress.store.ops import PROGRESS, Record
from taskprogress.store.store import now_ms


class AgentReports:
    def __init__(self, store: Store, access: AgentAccess) -> None:
        self._store = store
        self.access = access

    def store(self, reports: Sequence[AgentReport]) -> int:
        """Write the reports and return once they are committed; returns how many were stored.

        Reports whose context has no ``api``, and every report while ``progress.on`` is false, are dropped, as
        ZStack drops them (the agent still gets its 200).
        """
        if not self._store.progress_enabled:
            return 0
        received = now_ms()  # ZStack's ``time`` of an agent report is when the server received it
        stored = 0
        for report in reports:
            if report.api_id is None:
                continue
            stored += 1
            self._store.submit(
                Record(
                    report.api_id,
                    report.task_uuid,
                    report.parent_uuid,
                    report.task_name,
                    PROGRESS,
                    None,  # the store serves the (never decreasing) percent as content
                    "[]",
                    report.opaque,
                    report.percent,
                    received,
                )
            )
        if stored:
            # A 200 means committed; group commit shares this wait with every other writer of the moment.
            self._store.flush()
        return stored
