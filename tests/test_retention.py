"""Retention: the delete delay after an API finishes, the per-API TTL, batched deletion (spec 10, 11, 12, 19, 28)."""

import pytest

import taskprogress as tp
from helpers import new_api_id, progress_contents, wait_until
from taskprogress.retention import CleanupLoop
from taskprogress.store.store import now_ms


def finished_api(store, *percents):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        for p in percents:
            tp.report(p)
    return api_id


def test_progress_stays_readable_for_the_delete_delay(store):  # 10
    api_id = finished_api(store, 10, 20)
    assert store.cleanup() == (0, 0)
    assert len(store.get_task_progress(api_id, all=True)) == 2
    result = store.cleanup(now=now_ms() + 301_000)
    assert (result.apis, result.records) == (1, 2)
    assert store.get_task_progress(api_id) == [] and store.get_task_progress(api_id, all=True) == []
    assert store.api_summary(api_id) is None


def test_the_delete_delay_is_a_setting(store):
    store.update_config("progress", "deleteDelay", 0)
    api_id = finished_api(store, 10)
    store.cleanup()
    assert store.get_task_progress(api_id) == []


def test_a_running_api_is_kept_until_its_ttl(store):  # 11, 19
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store, finish=False):
        tp.report(10)
    assert store.cleanup(now=now_ms() + 3_600_000) == (0, 0)
    assert store.get_task_progress(api_id) != []
    store.update_config("progress", "ttl", 1)
    store.cleanup(now=now_ms() + 1_001)
    assert store.get_task_progress(api_id) == []


def test_the_ttl_counts_from_the_newest_record_so_ancestors_survive(store):  # 28
    api_id = new_api_id()
    store.update_config("progress", "ttl", 100)
    with tp.api(api_id, "T", sink=store, finish=False), tp.subtask("old ancestor"):
        tp.report(10)
    # The ancestor is older than the TTL, the API is not: nothing goes.
    with store.connect(write=True) as conn:
        conn.exec_driver_sql(
            f"UPDATE task_progress SET time = time - 200000 WHERE api_id = '{api_id}' AND type = 'Task'"
        )
    store.cleanup()
    ancestor, progress = store.get_task_progress(api_id)
    assert ancestor["content"] == "old ancestor" and progress["content"] == "10"


def test_records_written_after_the_finish_expire_with_the_api(store):  # 12
    api_id = finished_api(store, 10)
    with tp.api(api_id, "late agent", sink=store, finish=False):
        tp.report(99)
    assert progress_contents(store, api_id) == ["10", "99"]
    store.cleanup(now=now_ms() + 301_000)
    assert store.get_task_progress(api_id, all=True) == []


def test_deletion_is_batched_and_complete(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        for i in range(1234):
            tp.step("s %s", i)
    other = finished_api(store, 1)
    result = store.cleanup(now=now_ms() + 301_000, batch_size=100)
    assert (result.apis, result.records) == (2, 1235)
    assert store.get_task_progress(api_id) == [] and store.get_task_progress(other) == []


def test_parallel_state_goes_with_the_api(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        [sub] = tp.parallel([1])
        with sub:
            tp.report(50)
    store.cleanup(now=now_ms() + 301_000)
    with store.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT count(*) FROM parallel_slot WHERE api_id = '{api_id}'").scalar() == 0


def test_the_cleanup_loop_runs_at_the_configured_interval(store):
    store.update_config("progress", "deleteDelay", 0)
    store.update_config("progress", "cleanupThreadInterval", 1)
    api_id = finished_api(store, 10)
    loop = CleanupLoop(store, tick=0.05).start()
    try:
        wait_until(lambda: store.get_task_progress(api_id) == [], timeout=10)
    finally:
        loop.stop()
    assert loop.passes >= 1


@pytest.mark.parametrize(
    ("name", "value"),
    [("ttl", 0), ("ttl", -5), ("ttl", "soon"), ("cleanupThreadInterval", 0), ("deleteDelay", -1), ("on", "maybe")],
)
def test_invalid_settings_are_refused_and_change_nothing(store, name, value):
    before = store.get_config("progress", name)
    with pytest.raises(tp.InvalidArgument):
        store.update_config("progress", name, value)
    assert store.get_config("progress", name) == before


def test_unknown_settings_are_refused(store):
    with pytest.raises(tp.InvalidArgument):
        store.update_config("progress", "nope", 1)


def test_settings_have_zstack_defaults(store):
    configs = {(c["category"], c["name"]): c for c in store.list_configs()}
    assert configs[("progress", "on")]["value"] == "true"
    assert configs[("progress", "ttl")]["value"] == "86400"
    assert configs[("progress", "cleanupThreadInterval")]["value"] == "300"
    assert configs[("progress", "deleteDelay")]["value"] == "300"
