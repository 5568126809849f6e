"""Core benchmark: producer throughput against the raw insert ceiling, and GetTaskProgress latency.

Run by hand (not a test; this machine is shared and noisy, so compare the figures of one run side by side):

    .venv/bin/python benchmarks/bench_core.py                      # SQLite in a temp folder
    .venv/bin/python benchmarks/bench_core.py --postgres                # a throwaway PostgreSQL (tests' harness)
    .venv/bin/python benchmarks/bench_core.py --database-url postgresql://...

1. Producer: N ``taskprogress.report()`` calls in one API, timed until they are committed (group commit).
   Ceiling: the same rows inserted with the driver's ``executemany``, 1,000 rows per commit, same database.
2. ``get_task_progress`` latency, ``all=False`` and ``all=True``, on APIs with 10, 1,000 and 10,000 records
   (a realistic tree: sub-tasks, steps and percents).
3. Retention: a finished API of 1,000,000 records deleted while another thread reads; the reader's latency
   meanwhile shows whether the batched deletion blocks readers.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import bench_database

import taskprogress as tp
from taskprogress.ids import new_record_id

COLUMNS = "api_id, task_uuid, parent_uuid, task_name, type, content, arguments, opaque, raw_percent, time"


def producer_rate(store: tp.Store, n: int) -> float:
    api_id = uuid.uuid4().hex
    start = time.perf_counter()
    with tp.api(api_id, "bench.Producer", sink=store):
        for i in range(n):
            tp.report(i * 100 / n)
    return n / (time.perf_counter() - start)


def raw_insert_rate(store: tp.Store, n: int, per_commit: int = 1000) -> float:
    """The ceiling: the same Progress rows through the bare driver connection, ``executemany`` per 1,000."""
    api_id = uuid.uuid4().hex
    now = time.time_ns() // 1_000_000
    rows = [
        (api_id, new_record_id(), None, "bench.Raw", "Progress", str(int(i * 100 / n)), "[]", None, i * 100 / n, now)
        for i in range(n)
    ]
    raw = store.engine.raw_connection()
    try:
        placeholder = "?" if store.engine.dialect.name == "sqlite" else "%s"
        sql = f"INSERT INTO task_progress ({COLUMNS}) VALUES ({', '.join([placeholder] * 10)})"
        cursor = raw.cursor()
        start = time.perf_counter()
        for offset in range(0, n, per_commit):
            if store.engine.dialect.name == "sqlite":
                cursor.execute("BEGIN")
            cursor.executemany(sql, rows[offset : offset + per_commit])
            raw.commit() if store.engine.dialect.name != "sqlite" else cursor.execute("COMMIT")
        elapsed = time.perf_counter() - start
        cursor.close()
    finally:
        raw.close()
    return n / elapsed


def cleanup_while_reading(store: tp.Store, rows: int) -> tuple[float, float, float, float]:
    """Delete a finished API of ``rows`` records while another thread keeps reading a small API.

    Returns (cleanup seconds, reader p50, p99 and max latency in ms during the cleanup).
    """
    big = uuid.uuid4().hex
    with tp.api(big, "bench.Cleanup", sink=store):
        for i in range(rows):
            tp.report(i * 100 / rows)
    small = build_api(store, 10)
    samples: list[float] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            start = time.perf_counter()
            store.get_task_progress(small)
            samples.append((time.perf_counter() - start) * 1000)

    reader = threading.Thread(target=read)
    reader.start()
    start = time.perf_counter()
    result = store.cleanup(now=time.time_ns() // 1_000_000 + 301_000)
    elapsed = time.perf_counter() - start
    done.set()
    reader.join()
    assert result.records >= rows
    samples.sort()
    return elapsed, statistics.median(samples), samples[int(len(samples) * 0.99)], samples[-1]


def build_api(store: tp.Store, records: int) -> str:
    """An API tree of ``records`` records: sub-tasks of 1 step + 48 percents + 1 step."""
    api_id = uuid.uuid4().hex
    written = 0
    with tp.api(api_id, "bench.Tree", sink=store):
        while written < records:
            with tp.subtask("sub-task %s", written):
                written += 1
                for i in range(min(50, records - written)):
                    if i in (0, 49):
                        tp.step("step %s", i)
                    else:
                        tp.report(i * 2)
                    written += 1
    return api_id


def latency(fn, repeat: int) -> tuple[float, float]:
    """Median and p99 of ``fn()`` in microseconds."""
    fn()  # warm up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_database.add_options(parser)
    parser.add_argument("--records", type=int, default=200_000, help="records for the throughput test")
    parser.add_argument("--cleanup-rows", type=int, default=1_000_000, help="records deleted while reading (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url = bench_database.database_url(args, Path(tmp), stack)
        with tp.Store.open(url) as store:
            print(f"database: {store.engine.dialect.name}")
            # Alternate the two measurements so both see the same machine conditions.
            producer, raw = [], []
            for _ in range(3):
                producer.append(producer_rate(store, args.records))
                raw.append(raw_insert_rate(store, args.records))
            p, r = statistics.median(producer), statistics.median(raw)
            print(f"producer (library, group commit): {p:>10,.0f} records/s")
            print(f"raw executemany, 1,000 per commit: {r:>10,.0f} records/s")
            print(f"ratio: {p / r:.2f} (target >= 0.5)")
            print()
            print(f"{'records':>8} {'all=False p50/p99 (us)':>24} {'all=True p50/p99 (ms)':>24}")
            for size in (10, 1_000, 10_000):
                api_id = build_api(store, size)
                assert len(list(_walk(store.get_task_progress(api_id, all=True)))) == size
                f50, f99 = latency(lambda a=api_id: store.get_task_progress(a), 2000)
                t50, t99 = latency(lambda a=api_id: store.get_task_progress(a, all=True), 20 if size > 1000 else 200)
                print(f"{size:>8} {f50:>13.0f} / {f99:<8.0f} {t50 / 1000:>14.2f} / {t99 / 1000:<8.2f}")
            if args.cleanup_rows:
                print()
                elapsed, r50, r99, rmax = cleanup_while_reading(store, args.cleanup_rows)
                print(f"cleanup of {args.cleanup_rows:,} records: {elapsed:.1f} s, in batches of 5,000")
                print(f"  a reader meanwhile (all=False): p50 {r50:.2f} ms, p99 {r99:.2f} ms, max {rmax:.1f} ms")


def _walk(forest):
    for node in forest:
        yield node
        yield from _walk(node.get("subTasks", []))


if __name__ == "__main__":
    main()
