"""Push benchmark: how long a progress report takes to reach a client, streamed versus polled, in one run.

Run by hand (not a test; the machine is shared and noisy):

    .venv/bin/python benchmarks/bench_push.py                  # SQLite in a temp folder
    .venv/bin/python benchmarks/bench_push.py --postgres       # a throwaway PostgreSQL (tests' harness)

One ``taskprogress serve`` process is started. ``--clients`` (100) event streams of one API are opened
(``GET .../task-progresses/{apiId}/events``, as admin), and a client polls GetTaskProgress once a second, which is
what ZStack users do. A producer then posts ``--reports`` agent reports (``POST /zstack/asyncrest/sendcommand``,
``commandpath: /progress/report``), one every ``--interval`` seconds, so the report is written by the server
process itself ("one node"), the way a kvmagent's report arrives.

A report's delay is the time from just before its POST to the moment a client reads its event (every stream client
counts every report), or, for the polling client, the first poll answer that shows it. The clients are minimal
asyncio sockets in this process (an httpx client per stream would cost more CPU than the server on this machine).
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
from urllib.parse import urlsplit

import bench_database
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serverproc import ServerProcess  # noqa: E402  (the tests' harness)

PROGRESS_EVENT = b"event: progress"


class StreamClient:
    """One event stream on a raw socket; notes when each ``progress`` event arrives (the k-th is report k)."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []

    async def open(self, host: str, port: int, path: str, session: str) -> None:
        self.reader, self.writer = await asyncio.open_connection(host, port)
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: OAuth {session}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        )
        self.writer.write(request.encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"stream refused: {head[:200]!r}")

    async def read(self, count: int) -> None:
        tail = b""
        while len(self.arrivals) < count:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise RuntimeError("the stream ended early")
            now = time.perf_counter()
            data = tail + chunk
            self.arrivals += [now] * data.count(PROGRESS_EVENT)
            tail = data[-(len(PROGRESS_EVENT) - 1) :]

    def close(self) -> None:
        self.writer.close()


async def poll_every_second(http: httpx.AsyncClient, path: str, session: str, seen: dict[int, float], count: int):
    """ZStack's way: GetTaskProgress once a second; notes when each percent first shows."""
    while len(seen) < count:
        started = time.perf_counter()
        body = (await http.get(path, headers={"Authorization": f"OAuth {session}"})).json()
        now = time.perf_counter()
        newest = int(body["inventories"][-1]["content"]) if body["inventories"] else 0
        for percent in range(1, newest + 1):
            seen.setdefault(percent, now)
        await asyncio.sleep(max(0.0, 1.0 - (now - started)))


async def run(base_url: str, session: str, clients: int, reports: int, interval: float) -> dict[str, list[float]]:
    url = urlsplit(base_url)
    api_id = uuid.uuid4().hex
    path = f"/zstack/v1/task-progresses/{api_id}"
    streams = [StreamClient() for _ in range(clients)]
    await asyncio.gather(
        *(s.open(url.hostname, url.port, f"{path}/events?keepAliveSeconds=30", session) for s in streams)
    )
    readers = [asyncio.create_task(s.read(reports)) for s in streams]
    sent: list[float] = []
    polled: dict[int, float] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        poller = asyncio.create_task(poll_every_second(http, path, session, polled, reports))
        await asyncio.sleep(0.5)  # the streams are attached to the API's feed
        for i in range(1, reports + 1):
            body = {
                "progress": i,
                "threadContextMap": {"api": api_id, "task-name": "org.example.APIBenchMsg"},
                "threadContextStack": [],
            }
            sent.append(time.perf_counter())
            response = await http.post(
                "/zstack/asyncrest/sendcommand", json=body, headers={"commandpath": "/progress/report"}
            )
            response.raise_for_status()
            await asyncio.sleep(max(0.0, sent[-1] + interval - time.perf_counter()))
        await asyncio.wait_for(asyncio.gather(*readers), 60)
        await asyncio.wait_for(poller, 30)
    for s in streams:
        s.close()
    streamed = [(arrival - sent[k]) * 1000 for s in streams for k, arrival in enumerate(s.arrivals)]
    return {"stream": streamed, "poll": [(polled[i] - sent[i - 1]) * 1000 for i in range(1, reports + 1)]}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_database.add_options(parser)
    parser.add_argument("--clients", type=int, default=100, help="event streams open on the API")
    parser.add_argument("--reports", type=int, default=99, help="agent reports, percent 1 to N (at most 100)")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between reports")
    args = parser.parse_args()
    if not 1 <= args.reports <= 100:
        parser.error("--reports must be 1 to 100 (each report is a distinct whole percent)")
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url = bench_database.database_url(args, Path(tmp), stack)
        server = ServerProcess(url, Path(tmp) / "serve.log").start()
        stack.callback(server.stop)
        from zstack import ZStack

        with ZStack(server.base_url) as zs:
            session = zs.admin()
        delays = asyncio.run(run(server.base_url, session, args.clients, args.reports, args.interval))
        backend = "PostgreSQL" if args.postgres or url.startswith("postgresql") else "SQLite"
        print(f"{backend}, {args.reports} agent reports {args.interval * 1000:.0f} ms apart, report -> client delay")
        print(f"{'client':<44} {'samples':>8} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
        for label, values in (
            (f"event stream, {args.clients} clients connected", delays["stream"]),
            ("GetTaskProgress polled once a second (ZStack)", delays["poll"]),
        ):
            print(
                f"{label:<44} {len(values):>8} {statistics.median(values):>9.1f} {percentile(values, 99):>9.1f}"
                f" {max(values):>9.1f}"
            )


if __name__ == "__main__":
    main()
