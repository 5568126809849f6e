"""Opening stores, group commit, and what happens when the database goes away."""

import threading
import uuid

import pytest

import taskprogress as tp
from helpers import new_api_id, progress_contents


def test_open_twice_migrates_once(database_url):
    with tp.Store.open(database_url) as first:
        api_id = new_api_id()
        with tp.api(api_id, "T", sink=first):
            tp.report(10)
    with tp.Store.open(database_url) as second:
        assert second.get_task_progress(api_id)[0]["content"] == "10"


def test_sqlite_uses_wal(tmp_path):
    with tp.Store.open(f"sqlite:///{tmp_path}/wal.db") as store, store.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_in_memory_sqlite_works_from_several_threads():
    with tp.Store.open("sqlite://") as store:
        api_id = new_api_id()
        with tp.api(api_id, "T", sink=store):
            threads = [threading.Thread(target=tp.wrap(tp.step), args=("s %s", i)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert len(store.get_task_progress(api_id, all=True)) == 8


@pytest.mark.parametrize("url", ["mysql://x/y", "not a url", "sqlite+nope:///x"])
def test_unsupported_urls_are_refused(url):
    with pytest.raises(tp.TaskProgressError):
        tp.Store.open(url)


def test_an_unreachable_database_is_a_storage_error():
    with pytest.raises(tp.StorageError):
        tp.Store.open("postgresql://nobody@127.0.0.1:1/none")


def test_reports_are_group_committed_and_keep_their_order(store):
    commits = []
    original = store._apply
    store._writer._apply = lambda ops: commits.append(len(ops)) or original(ops)
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        for i in range(1, 2001):
            tp.report(i / 20)
    contents = progress_contents(store, api_id)
    assert contents == [str(int(i / 20)) for i in range(1, 2001)]
    assert sum(commits) == 2002  # the records plus the start and the finish
    assert len(commits) < 100  # thousands of reports, a handful of transactions


def test_reports_from_many_threads_all_land(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):

        def work(n):
            with tp.subtask("worker %s", n):
                for i in range(200):
                    tp.step("s %s", i)

        threads = [threading.Thread(target=tp.wrap(work), args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    forest = store.get_task_progress(api_id, all=True)
    assert len(forest) == 4
    for worker in forest:
        assert [c["currentStep"] for c in worker["subTasks"]] == list(range(1, 201))


def test_a_lost_database_raises_on_flush_but_not_out_of_the_api_block(postgres_server):
    name = f"t_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(name)
    store = tp.Store.open(postgres_server.url_for(name))
    try:
        with tp.api(new_api_id(), "T", sink=store):
            tp.report(10)
            tp.flush()
            postgres_server.drop_database(name)
            tp.report(20)
            with pytest.raises(tp.StorageError):
                tp.flush()
            tp.report(30)  # the work goes on; the block's exit logs the loss instead of raising
    finally:
        store.close()
