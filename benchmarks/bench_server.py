"""Server benchmark: GetTaskProgress over HTTP against the server's cheapest authenticated route, in one run.

Run by hand (not a test; the machine is shared and noisy, so read the ratio, measured side by side):

    .venv/bin/python benchmarks/bench_server.py                 # SQLite in a temp folder
    .venv/bin/python benchmarks/bench_server.py --postgres      # a throwaway PostgreSQL (tests' harness)

One ``taskprogress serve`` process is started; a normal account owns an API job whose progress has 1,000
records (sub-tasks, steps, percents), written by the producer library. Then, at 1 and 32 concurrent clients:

- ``GetTaskProgress`` (``all=false``) of that job, as its owner: authentication, the tenancy check and the
  newest record with its ancestors;
- the candidate ceilings, the cheapest authenticated routes: the running-APIs list (empty), QueryAccount on the
  caller's own uuid, and GetTaskProgress of an apiId the caller does not own (authentication plus one lookup).
  The ceiling is the fastest of them. Target: GetTaskProgress at >= 70% of the ceiling.

The load generator is a minimal keep-alive HTTP/1.1 client on asyncio (prebuilt requests, responses read by
Content-Length): an httpx client would saturate a core before the server does, and the two share this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import bench_database
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import taskprogress as tp  # noqa: E402
from serverproc import ServerProcess  # noqa: E402  (the tests' harness)


async def _client(host: str, port: int, request: bytes, stop_at: float, samples: list[float], errors: list[int]):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            samples.append(time.perf_counter() - start)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


def measure(base_url: str, path: str, session: str, clients: int, seconds: float) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of GET ``path`` with ``clients`` concurrent keep-alive connections."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: OAuth {session}\r\n\r\n").encode()

    async def run() -> tuple[list[float], list[int], float]:
        samples: list[float] = []
        errors: list[int] = []
        warmup_end = time.perf_counter() + 0.5
        await asyncio.gather(*(_client(host, int(port), request, warmup_end, [], errors) for _ in range(clients)))
        start = time.perf_counter()
        stop_at = start + seconds
        await asyncio.gather(*(_client(host, int(port), request, stop_at, samples, errors) for _ in range(clients)))
        return samples, errors, time.perf_counter() - start

    samples, errors, elapsed = asyncio.run(run())
    if errors:
        raise SystemExit(f"{path}: {len(errors)} non-200 answers, e.g. {errors[0]}")
    samples.sort()
    return len(samples) / elapsed, statistics.median(samples) * 1e3, samples[int(len(samples) * 0.99)] * 1e3


def build_api(store: tp.Store, api_id: str, size: int) -> None:
    """``size`` records: sub-tasks of steps and percents, as a long API writes them."""
    with tp.api(api_id, "org.zstack.header.vm.APICreateVmInstanceMsg", sink=store, finish=False):
        written = 0
        while written < size:
            with tp.subtask("create a volume[%s] on the local storage", str(written)):
                written += 1
                for percent in range(0, 100, 5):
                    if written >= size:
                        break
                    tp.report(percent)
                    written += 1
    store.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_database.add_options(parser)
    parser.add_argument("--records", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=4.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per route (the median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url = bench_database.database_url(args, Path(tmp), stack)
        server = ServerProcess(url, Path(tmp) / "serve.log").start()
        stack.callback(server.stop)
        from zstack import ZStack

        with ZStack(server.base_url) as zs:
            account = zs.create_account(password="bench")
            session = zs.login(account["name"], "bench")
            api_id = uuid.uuid4().hex
            renew = zs.call(
                "PUT", f"/accounts/sessions/{session}/renew", session, {}, **{"X-Job-UUID": api_id}
            )  # an API job of the account: the job GetTaskProgress is asked about
            assert renew.status_code == 200, renew.text
        with tp.Store.open(url) as store:
            build_api(store, api_id, args.records)
        progress_path = f"/zstack/v1/task-progresses/{api_id}?all=false"
        reply = httpx.get(server.base_url + progress_path, headers={"Authorization": f"OAuth {session}"}).json()
        assert len(reply["inventories"]) == 2, reply
        candidates = {
            "running list (empty)": "/zstack/v1/task-progresses",
            "QueryAccount (own uuid)": f"/zstack/v1/accounts/{account['uuid']}",
            "GetTaskProgress, not own": f"/zstack/v1/task-progresses/{uuid.uuid4().hex}",
        }
        print(
            f"database: {url.split(':', 1)[0]}, API with {args.records:,} records, median of {args.rounds} x "
            f"{args.seconds:.0f} s"
        )
        print(f"{'route':<34} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        routes = {"GetTaskProgress all=false": progress_path, **candidates}
        for clients in (1, 32):
            # Rounds alternate the routes, so each sees the same machine conditions; the median round counts.
            runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in routes}
            for _ in range(args.rounds):
                for name, path in routes.items():
                    runs[name].append(measure(server.base_url, path, session, clients, args.seconds))
            rows = {name: sorted(results)[len(results) // 2] for name, results in runs.items()}
            for name, (rate, p50, p99) in rows.items():
                print(f"{name:<34} {clients:>7} {rate:>8,.0f} {p50:>8.2f} {p99:>8.2f}")
            ceiling_name = max(candidates, key=lambda n: rows[n][0])
            ratio = rows["GetTaskProgress all=false"][0] / rows[ceiling_name][0]
            print(f"  -> GetTaskProgress at {ratio:.0%} of the ceiling ({ceiling_name}); target >= 70%")


if __name__ == "__main__":
    main()
