"""Rate, ETA and stalls: the pure rules, then through the store on both backends."""

import taskprogress as tp
from helpers import new_api_id
from taskprogress.core.summary import Sample, rate_per_second, summarize
from taskprogress.store.store import now_ms

NOW = 1_800_000_000_000


def summary(**overrides):
    arguments = dict(
        percent=40.0,
        started_at=NOW - 100_000,
        progressed_at=NOW - 1_000,
        finished_at=None,
        now=NOW,
        samples=[Sample(NOW - 20_000, 20.0), Sample(NOW - 1_000, 40.0)],
        mean_duration_ms=None,
        window_ms=60_000,
        stall_after_ms=120_000,
    )
    arguments.update(overrides)
    return summarize(**arguments)


def test_rate_runs_from_the_oldest_sample_in_the_window_to_now():
    assert rate_per_second([Sample(NOW - 20_000, 20.0), Sample(NOW - 1_000, 40.0)], 40.0, NOW, 60_000) == 1.0
    assert rate_per_second([Sample(NOW - 90_000, 20.0)], 40.0, NOW, 60_000) == 0.0  # nothing recent
    assert rate_per_second([], 40.0, NOW, 60_000) == 0.0


def test_eta_from_the_rate():
    s = summary()
    assert (s["rate"], s["etaSeconds"], s["etaBasis"], s["stalled"]) == (1.0, 60.0, "rate", False)


def test_eta_from_history_when_there_is_no_rate_yet():
    s = summary(samples=[], mean_duration_ms=300_000)
    assert (s["etaSeconds"], s["etaBasis"]) == (200.0, "history")


def test_eta_unknown_without_rate_or_history():
    s = summary(samples=[])
    assert (s["etaSeconds"], s["etaBasis"]) == (None, "unknown")


def test_stalled_after_the_timeout_without_progress():
    assert summary(progressed_at=NOW - 121_000)["stalled"] is True
    assert summary(progressed_at=NOW - 119_000)["stalled"] is False


def test_a_finished_api_is_never_stalled_and_has_nothing_left():
    s = summary(progressed_at=NOW - 999_000, finished_at=NOW - 500)
    assert (s["stalled"], s["etaSeconds"], s["etaBasis"], s["finished"]) == (False, 0.0, "finished", True)


def test_summary_through_the_store(store):
    api_id = new_api_id()
    with tp.api(api_id, "org.zstack.Thing", sink=store, finish=False):
        tp.step("start")
        tp.report(10)
        tp.report(30)
    now = now_ms() + 1000  # a second after the reports: 20 points in about a second
    s = store.api_summary(api_id, now=now)
    assert s["apiId"] == api_id and s["taskName"] == "org.zstack.Thing"
    assert s["percent"] == 30 and s["finished"] is False and s["stalled"] is False
    assert s["lastProgressAt"] <= now
    assert s["etaBasis"] == "rate" and s["rate"] > 0
    later = store.api_summary(api_id, now=now + 121_000)
    assert later["stalled"] is True and later["rate"] == 0.0
    store.update_config("progress", "stallTimeout", 1000)
    assert store.api_summary(api_id, now=now + 121_000)["stalled"] is False


def test_a_repeated_percent_is_not_progress(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store, finish=False):
        tp.report(30)
        tp.flush()
        first = store.api_summary(api_id)["lastProgressAt"]
        tp.report(30)  # an agent re-posting the same value every second
        tp.report(20)
    assert store.api_summary(api_id)["lastProgressAt"] == first


def test_history_of_earlier_runs_gives_an_eta(store):
    done = new_api_id()
    with tp.api(done, "org.zstack.Slow", sink=store):
        tp.report(50)
    running = new_api_id()
    with tp.api(running, "org.zstack.Slow", sink=store, finish=False):
        tp.step("waiting for the first percent")
    s = store.api_summary(running)
    assert s["etaBasis"] == "history" and s["etaSeconds"] >= 0
