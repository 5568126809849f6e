"""Cooperative cancellation and suspension: the job sees it at its next report or check()."""

import threading

import pytest

import taskprogress as tp
from helpers import new_api_id, progress_contents


def test_an_interrupted_block_raises_at_its_next_report(store):
    api_id = new_api_id()
    reported = threading.Event()
    outcome = []

    def job():
        try:
            with tp.api(api_id, "T", sink=store, finish=False) as run:
                runs.append(run)
                tp.report(10)
                reported.set()
                for i in range(10_000_000):
                    tp.report(10 + i % 80)
        except tp.Canceled as exc:
            outcome.append(exc)

    runs = []
    worker = threading.Thread(target=job)
    worker.start()
    assert reported.wait(10)
    runs[0].interrupt(tp.Canceled)
    worker.join(10)
    assert not worker.is_alive()
    [exc] = outcome
    assert exc.error_code.code == "LONG_JOB.1000"
    assert progress_contents(store, api_id)[0] == "10"


def test_check_raises_even_with_progress_off(store):
    store.update_config("progress", "on", False)
    with tp.api(new_api_id(), "T", sink=store) as run:
        tp.check()
        run.interrupt(tp.Suspended, "the node is going down")
        with pytest.raises(tp.Suspended, match="the node is going down") as raised:
            tp.check()
    assert raised.value.error_code.code == "LONG_JOB.1002"


def test_an_interruption_stops_report_until(store):
    with tp.api(new_api_id(), "T", sink=store) as run:
        ticker = tp.report_until(100, 0.01)
        run.interrupt(tp.Canceled)
        assert ticker.wait(10)
