"""AddImage benchmark: the APIAddImageMsg job against ``curl`` downloading the same file, in one run.

Run by hand (not a test; this machine is shared and noisy, so only the figures of one run compare):

    .venv/bin/python benchmarks/bench_add_image.py                   # 300 MB, 5 rounds
    .venv/bin/python benchmarks/bench_add_image.py --size-mb 500 --rounds 7 --md5

A file of random bytes is served by ``python -m http.server`` in its own process (so the server does not
share the job's GIL). Each round downloads it with ``curl -s -o FILE URL`` and through the job (inside
``taskprogress.api`` on a SQLite store in a temp folder, via ``execute_job`` as the runner will call it), in
alternating order so neither always comes first. The job's time depends on what ran just before it (on this
machine: about 0.31 s after the slow pipeline, 0.63 s right after curl; ``os.sync()`` between runs did not
change that), so read the best times beside the medians. The job also hashes (sha256 always; md5 too
with ``--md5``, as when an ``md5sum`` is given to verify), reports progress and renames the file at the end.
Target: the job's median within 20 % of curl's. For reference, each round also times the same work with
shell tools, ``curl -s URL | tee FILE | sha256sum``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import taskprogress as tp
from taskprogress.jobs import JobContext, LongJobEvent, builtin_registry, execute_job

TARGET_RATIO = 1.20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_random_file(path: Path, size_mb: int) -> None:
    block = os.urandom(1 << 20)  # one random MiB, each copy shifted so the file is not periodic
    with open(path, "wb") as out:
        for i in range(size_mb):
            out.write(block[i % 4096 :] + block[: i % 4096])


def wait_for_server(url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url.rsplit("/", 1)[0] + "/", timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def time_curl(url: str, target: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["curl", "-s", "-f", "-o", str(target), url], check=True)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def time_curl_sha256(url: str, target: Path) -> float:
    """The same work as the job, with shell tools: download, save and hash at once."""
    started = time.perf_counter()
    subprocess.run(f"curl -s -f '{url}' | tee '{target}' | sha256sum > /dev/null", shell=True, check=True)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def time_job(store: tp.Store, url: str, folder: Path, size: int, md5sum: str | None) -> float:
    job_data = {"name": "bench", "url": url, **({"md5sum": md5sum} if md5sum else {})}
    context = JobContext(uuid.uuid4().hex, uuid.uuid4().hex, job_data, folder)
    started = time.perf_counter()
    outcome = execute_job(builtin_registry().get("APIAddImageMsg"), context, store)
    elapsed = time.perf_counter() - started
    if outcome.event is not LongJobEvent.succeed or outcome.result is None or outcome.result["size"] != size:
        raise SystemExit(f"the job did not download the image: {outcome}")
    Path(outcome.result["path"]).unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--md5", action="store_true", help="also verify an md5sum (md5 is computed then)")
    parser.add_argument(
        "--tmp",
        default="/dev/shm" if os.path.isdir("/dev/shm") else None,
        help="folder for the served and downloaded files",
    )
    args = parser.parse_args()
    if shutil.which("curl") is None:
        raise SystemExit("curl is not installed")

    # In memory when the machine has /dev/shm: disk writeback made both sides' times swing 3x between rounds.
    with tempfile.TemporaryDirectory(prefix="bench-add-image-", dir=args.tmp) as tmp:
        root = Path(tmp)
        served = root / "served"
        served.mkdir()
        image = served / "image.raw"
        write_random_file(image, args.size_mb)
        size = image.stat().st_size
        md5sum = None
        if args.md5:
            import hashlib

            md5sum = hashlib.md5(image.read_bytes(), usedforsecurity=False).hexdigest()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(served)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/image.raw"
        try:
            wait_for_server(url)
            store = tp.Store.open(f"sqlite:///{root}/progress.db")
            try:
                curl_times, job_times, piped_times = [], [], []
                time_curl(url, root / "warm-up")  # the first read of the file comes from disk for both
                for round_no in range(args.rounds):
                    if round_no % 2 == 0:
                        curl_times.append(time_curl(url, root / "curl.out"))
                        job_times.append(time_job(store, url, root / "images", size, md5sum))
                    else:
                        job_times.append(time_job(store, url, root / "images", size, md5sum))
                        curl_times.append(time_curl(url, root / "curl.out"))
                    piped_times.append(time_curl_sha256(url, root / "piped.out"))
                    print(
                        f"round {round_no + 1}: curl {curl_times[-1]:.3f} s, job {job_times[-1]:.3f} s,"
                        f" curl | tee | sha256sum {piped_times[-1]:.3f} s"
                    )
            finally:
                store.close()
        finally:
            server.terminate()
            server.wait(10)

    curl_median, job_median = statistics.median(curl_times), statistics.median(job_times)
    ratio = job_median / curl_median
    print(f"\n{size / 1e6:.0f} MB over loopback from python -m http.server, {args.rounds} rounds")
    print(f"curl: median {curl_median:.3f} s ({size / curl_median / 1e6:.0f} MB/s), best {min(curl_times):.3f} s")
    print(f"job:  median {job_median:.3f} s ({size / job_median / 1e6:.0f} MB/s), best {min(job_times):.3f} s")
    piped = statistics.median(piped_times)
    print(f"curl | tee FILE | sha256sum (the job's work with shell tools): median {piped:.3f} s")
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(f"job / curl: {ratio:.2f} (median), {min(job_times) / min(curl_times):.2f} (best); {verdict} the 1.20 target")


if __name__ == "__main__":
    main()
