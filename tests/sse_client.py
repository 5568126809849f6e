"""A raw Server-Sent Events reader for the stream tests: plain httpx on a thread, lines parsed by hand here (not
by the SDK under test), every wait bounded by a deadline."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Event:
    kind: str
    id: str | None
    data: dict[str, Any]


class SSEReader:
    """Opens ``url`` and collects its events (and keep-alive comments) until closed or the server ends it."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.items: queue.Queue[Event | str | None] = queue.Queue()  # Event, a comment line, None at the end
        self.status_code: int | None = None
        self.headers: httpx.Headers | None = None
        self.body = ""
        self._opened = threading.Event()
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=60))
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()
        assert self._opened.wait(15), "the stream did not open"

    def _run(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status_code, self.headers = response.status_code, response.headers
                if response.status_code != 200:
                    self.body = response.read().decode()
                    return
                self._opened.set()
                kind, data, event_id = "message", [], None
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(":"):
                        self.items.put(line)
                    elif line == "":
                        if data:
                            self.items.put(Event(kind, event_id, json.loads("\n".join(data))))
                        kind, data, event_id = "message", [], None
                    else:
                        name, _, value = line.partition(": ")
                        if name == "event":
                            kind = value
                        elif name == "data":
                            data.append(value)
                        elif name == "id":
                            event_id = value
        except httpx.HTTPError:
            pass  # closed by close(), or the server went away: the end either way
        finally:
            self._opened.set()
            self.items.put(None)

    def next(self, timeout: float = 10.0) -> Event | str | None:
        try:
            return self.items.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"nothing from the stream within {timeout} s") from None

    def events(self, count: int, timeout: float = 10.0) -> list[Event]:
        """The next ``count`` events (comments skipped)."""
        deadline, found = time.monotonic() + timeout, []
        while len(found) < count:
            item = self.next(max(0.01, deadline - time.monotonic()))
            assert item is not None, f"the stream ended after {found}"
            if isinstance(item, Event):
                found.append(item)
        return found

    def until(self, kind: str, timeout: float = 10.0) -> list[Event]:
        """Events up to and including the first of ``kind``."""
        deadline, found = time.monotonic() + timeout, []
        while not found or found[-1].kind != kind:
            found += self.events(1, max(0.01, deadline - time.monotonic()))
        return found

    def ended(self, timeout: float = 10.0) -> bool:
        """True once the server closed the stream (after any remaining comments)."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.next(max(0.01, deadline - time.monotonic()))
            if item is None:
                return True
            assert not isinstance(item, Event), f"an event after the end was expected: {item}"

    def close(self) -> None:
        self._stop.set()
        self._client.close()
        self._thread.join(10)

    def __enter__(self) -> SSEReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
