"""Worker functions for multi-process tests (importable by spawned children)."""

from __future__ import annotations

import taskprogress as tp


def report_in_sub_stage(database_url: str, sub: tp.ParallelStage, task_name: str, percents: list[float]) -> None:
    """A worker in another process: its own store, the same API, its own share of a parallel stage."""
    store = tp.Store.open(database_url)
    try:
        with tp.api(sub.api_id, task_name, sink=store, finish=False), sub:
            for percent in percents:
                tp.report(percent)
    finally:
        store.close()
