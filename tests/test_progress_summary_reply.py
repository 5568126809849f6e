"""GetTaskProgress's summary is computed on the request's own connection with two driver reads; it must say what
``Store.api_summary`` says."""

from __future__ import annotations

import pytest

import taskprogress as tp
from helpers import new_api_id
from taskprogress.services.clock import now_ms
from taskprogress.services.progress import ProgressQueries


@pytest.mark.parametrize("finish", [False, True])
def test_the_reply_summary_agrees_with_the_store(store, finish: bool):
    api_id = new_api_id()
    with tp.api(api_id, "org.example.APISummaryMsg", sink=store, finish=finish):
        tp.step("start")
        for percent in (5, 20, 45):
            tp.report(percent)
    store.flush()
    for later in (0, 500, 200_000):  # in the rate window, and long after it (stalled, no rate)
        now = now_ms() + later
        expected = store.api_summary(api_id, now=now)
        got = ProgressQueries(store).summary(api_id, now=now)
        assert got == {k: v for k, v in expected.items() if v is not None}  # the reply leaves nulls out


def test_no_summary_for_an_unknown_api(store):
    assert ProgressQueries(store).summary(new_api_id()) is None
