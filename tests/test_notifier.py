"""Change notifications: a committed report wakes its subscribers, in threads, in asyncio, across nodes."""

import asyncio
import time

import taskprogress as tp
from helpers import new_api_id


def test_a_commit_wakes_the_subscribers_of_its_api(store):
    api_id, other = new_api_id(), new_api_id()
    with store.changes.subscribe(api_id) as mine, store.changes.subscribe(other) as theirs:
        with store.changes.subscribe() as everything:
            with tp.api(api_id, "T", sink=store):
                tp.report(10)
            assert mine.wait(5)
            assert everything.wait(5)
            assert not theirs.wait(0.05)


def test_a_change_before_the_wait_is_not_missed(store):
    api_id = new_api_id()
    with store.changes.subscribe(api_id) as subscription:
        with tp.api(api_id, "T", sink=store):
            tp.report(10)
        assert subscription.wait(0)  # committed before the wait began


def test_asyncio_waiters_are_woken(store):
    api_id = new_api_id()

    async def main():
        with store.changes.subscribe(api_id) as subscription:
            assert not await subscription.wait_async(0.01)
            loop = asyncio.get_running_loop()
            started = time.perf_counter()
            writer = loop.run_in_executor(None, _report, store, api_id)
            assert await subscription.wait_async(5)
            await writer
            return time.perf_counter() - started

    assert asyncio.run(main()) < 5


def _report(store, api_id):
    with tp.api(api_id, "T", sink=store):
        tp.report(50)


def test_other_nodes_writes_wake_this_node_on_postgresql(postgres_server):
    name = "t_" + new_api_id()[:12]
    postgres_server.create_database(name)
    url = postgres_server.url_for(name)
    with tp.Store.open(url) as reader, tp.Store.open(url) as writer:
        listener = reader.listen_for_changes()
        try:
            api_id = new_api_id()
            with reader.changes.subscribe(api_id) as subscription:
                deadline = time.monotonic() + 10
                woken = False
                while not woken and time.monotonic() < deadline:  # the listener connects asynchronously
                    _report(writer, api_id)
                    woken = subscription.wait(0.5)
                assert woken
        finally:
            listener.stop()
