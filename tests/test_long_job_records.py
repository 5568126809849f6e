"""The state a long job is left in when its run ends (pure): the table, plus the cells it leaves open."""

from __future__ import annotations

import pytest

from taskprogress.jobs import LongJobEvent as E
from taskprogress.jobs import LongJobState as S
from taskprogress.services.long_job_records import state_after_run, state_values


@pytest.mark.parametrize(
    ("current", "event", "after"),
    [
        (S.Running, E.succeed, S.Succeeded),
        (S.Running, E.fail, S.Failed),  # a timeout is a failure too
        (S.Running, E.canceled, S.Canceled),
        (S.Running, E.suspend, S.Suspended),  # the job suspended itself
        (S.Suspended, E.suspend, S.Suspended),  # a requested suspension, carried out
        (S.Suspended, E.succeed, S.Succeeded),  # done just as the suspend landed: the work's ending wins
        (S.Suspended, E.fail, S.Failed),
        (S.Canceling, E.canceled, S.Canceled),
        (S.Canceling, E.succeed, S.Succeeded),  # the table: too late to cancel
        (S.Canceling, E.fail, S.Canceled),
        (S.Canceling, E.suspend, S.Canceled),  # the run is over: nothing left to unwind
        (S.Canceled, E.succeed, S.Canceled),  # final states never move
    ],
)
def test_state_after_run(current: S, event: E, after: S):
    assert state_after_run(current, event) is after


def test_execute_time_is_set_once_on_the_first_final_state_and_is_at_least_one_second():
    row = {"created_at": 10_000, "execute_time": None}
    assert state_values(row, S.Running, 99_000) == {"state": "Running", "updated_at": 99_000}
    assert state_values(row, S.Failed, 10_100)["execute_time"] == 1
    assert state_values(row, S.Succeeded, 13_600)["execute_time"] == 4
    assert "execute_time" not in state_values({"created_at": 0, "execute_time": 7}, S.Canceled, 99_000)
