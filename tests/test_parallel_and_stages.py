"""Stages and weighted parallel stages through the store, on SQLite and PostgreSQL."""

import asyncio
import multiprocessing
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import taskprogress as tp
from helpers import new_api_id, progress_contents
from parallel_workers import report_in_sub_stage


def test_stage_maps_local_percent_like_ZStack(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        with tp.stage(10, 50) as outer:
            assert outer == tp.Range(10, 50)
            with tp.stage(0, 90) as inner:
                assert inner == tp.Range(10, 46)
                tp.report(0)
                tp.report(50)
                tp.report(100)
            tp.report(100)
        tp.report(60)
    assert progress_contents(store, api_id) == ["10", "28", "46", "50", "60"]


def _run_workers(subs, scripts):
    """Run each sub-stage's script in its own thread, interleaved at random."""
    barrier = threading.Barrier(len(subs))

    def work(sub, percents):
        barrier.wait()
        with sub:
            for percent in percents:
                tp.report(percent)

    with ThreadPoolExecutor(len(subs)) as pool:
        for future in [pool.submit(tp.wrap(work), sub, p) for sub, p in zip(subs, scripts, strict=True)]:
            future.result()


def test_weights_2_3_4_count_every_point(store):  # 15, corrected
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        with tp.stage(0, 90):
            subs = tp.parallel([2, 3, 4])
            assert [s.range for s in subs] == [tp.Range(0, 20), tp.Range(20, 50), tp.Range(50, 90)]
            # The spec's workers report absolute 0,10,20 / 20..50 / 50..90: here each reports 0-100 of its share.
            _run_workers(subs, [[0, 50, 100], [0, 100 / 3, 200 / 3, 100], [0, 25, 50, 75, 100]])
            tp.flush()
            assert store.get_task_progress(api_id)[-1]["content"] == "90"  # ZStack loses 20 points: 70
        tp.report(100)
        tp.report(50)
    contents = [int(c) for c in progress_contents(store, api_id)]
    assert contents == sorted(contents)  # every interleaving only ever moves forward
    assert contents[-3:] == [90, 100, 100]  # a later 50 cannot pull it back
    assert set(contents) <= {0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}


def test_equal_thirds_reach_the_end(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        subs = tp.parallel([1, 1, 1])
        _run_workers(subs, [[100], [100], [100]])
    assert store.get_task_progress(api_id)[-1]["content"] == "100"


def test_a_stage_that_does_not_start_at_zero_keeps_its_offset(store):
    # ZStack drops the stage start: stage 50-90, weights [1,1], a report of 55 is stored as "5".
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        with tp.stage(50, 90):
            first, _second = tp.parallel([1, 1])
            with first:
                tp.report(25)  # 25 % of 50-70
    assert progress_contents(store, api_id) == ["55"]


def test_a_report_equal_to_a_sub_stage_end_counts_for_that_sub_stage(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        first, second = tp.parallel([1, 1])
        with first:
            tp.report(100)  # 50: the end of the first share, and the start of the second
        with second:
            tp.report(0)
    assert progress_contents(store, api_id) == ["50", "50"]


def test_nested_parallel_stages_add_up(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        left, right = tp.parallel([1, 1])
        with left:
            a, b = tp.parallel([1, 1])
            with a:
                tp.report(100)  # a quarter of the API
            with b:
                tp.report(50)  # an eighth
        with right:
            tp.report(50)  # a quarter
    assert progress_contents(store, api_id) == ["25", "37", "62"]


def test_sub_stage_outside_its_api_is_refused(store):
    with tp.api(new_api_id(), "T", sink=store):
        [sub] = tp.parallel([1])
    with tp.api(new_api_id(), "other", sink=store), pytest.raises(tp.InvalidArgument), sub:
        pass


def test_workers_in_other_processes_agree(store, database_url):
    api_id = new_api_id()
    spawn = multiprocessing.get_context("spawn")
    with tp.api(api_id, "T", sink=store):
        with tp.stage(0, 90):
            subs = tp.parallel([2, 3, 4])
            workers = [
                spawn.Process(target=report_in_sub_stage, args=(database_url, sub, "T", [0, 25, 50, 75, 100]))
                for sub in subs
            ]
            for w in workers:
                w.start()
            for w in workers:
                w.join(60)
                assert w.exitcode == 0
            assert store.get_task_progress(api_id)[-1]["content"] == "90"
        tp.report(100)
    contents = [int(c) for c in progress_contents(store, api_id)]
    assert len(contents) == 16 and contents == sorted(contents) and contents[-2:] == [90, 100]


def test_wrap_carries_the_context_into_threads(store):
    api_id = new_api_id()
    results = []
    with tp.api(api_id, "T", sink=store), tp.subtask("parent"):
        thread = threading.Thread(target=tp.wrap(lambda: results.append(tp.current_api_id()) or tp.step("in thread")))
        thread.start()
        thread.join()
        bare = threading.Thread(target=lambda: results.append(tp.current_api_id()))
        bare.start()
        bare.join()
    assert results == [api_id, None]
    [parent] = store.get_task_progress(api_id, all=True)
    assert [c["content"] for c in parent["subTasks"]] == ["in thread"]


def test_asyncio_tasks_inherit_the_context(store):
    api_id = new_api_id()

    async def child(i):
        await asyncio.sleep(random.random() / 100)
        with tp.subtask("child %s", i):
            tp.report(50)

    async def main():
        with tp.api(api_id, "T", sink=store):
            await asyncio.gather(*(child(i) for i in range(5)))

    asyncio.run(main())
    forest = store.get_task_progress(api_id, all=True)
    assert len(forest) == 5
    assert all([c["type"] for c in node["subTasks"]] == ["Progress"] for node in forest)
