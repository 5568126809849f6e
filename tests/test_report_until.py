"""report_until: ZStack's ticker sequences, and no tick after the API finished (spec 13, 14)."""

import taskprogress as tp
from helpers import new_api_id, progress_contents, wait_until


def test_from_5_to_10(store):  # 13
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        tp.report(5)
        ticker = tp.report_until(10, 0.01)
        assert ticker.wait(10)
        assert progress_contents(store, api_id) == ["5", "6", "7", "8", "9", "10", "10"]
        assert tp.report_until(10, 0.01).wait(10)
        assert progress_contents(store, api_id) == ["5", "6", "7", "8", "9", "10", "10", "10"]


def test_from_nothing_it_never_writes_zero(store):  # 13
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        assert tp.report_until(10, 0.01).wait(10)
    assert progress_contents(store, api_id) == [str(i) for i in range(1, 11)] + ["10"]


def test_the_bound_is_in_the_current_stage(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store), tp.stage(20, 40):
        assert tp.report_until(50, 0.01).wait(10)  # 50 % of 20-40 is 30, starting from the stage start
    assert progress_contents(store, api_id) == [str(i) for i in range(21, 31)] + ["30"]


def test_real_progress_past_the_bound_stops_it(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        ticker = tp.report_until(90, 0.05)
        wait_until(lambda: progress_contents(store, api_id))
        tp.report(95)
        assert ticker.wait(10)
    contents = [int(c) for c in progress_contents(store, api_id)]
    assert contents[-1] == 95 and contents == sorted(contents)


def test_it_stops_when_the_api_finishes_and_never_writes_after(store):  # 14
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        ticker = tp.report_until(90, 0.02)
        wait_until(lambda: len(progress_contents(store, api_id)) >= 3)
    count_at_finish = len(progress_contents(store, api_id))
    assert ticker.wait(10)
    assert len(progress_contents(store, api_id)) == count_at_finish
    assert count_at_finish < 90


def test_a_tick_submitted_after_the_finish_is_dropped(store):
    # The race ZStack has: the ticker read "running", then the API finished, then the tick was written.
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        tp.report(5)
        scope = tp.reporting.context.current_scope.get()
    from taskprogress.reporting.producer import _progress_record

    store.submit(_progress_record(scope, 6, only_while_running=True))
    store.flush()
    assert progress_contents(store, api_id) == ["5"]


def test_stop_ends_it(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        ticker = tp.report_until(100, 0.01)
        wait_until(lambda: progress_contents(store, api_id))
        ticker.stop()
        assert not ticker.running
        count = len(progress_contents(store, api_id))
    assert len(progress_contents(store, api_id)) == count < 100


def test_outside_an_api_it_is_a_stopped_no_op():
    ticker = tp.report_until(50, 0.01)
    assert not ticker.running and ticker.wait(0)
