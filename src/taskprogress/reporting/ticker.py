"""``report_until``: progress that creeps forward while a long step gives no real progress.

Each tick reads where the API (or the current parallel sub-stage) stands and writes one point more, up to the
bound; as ZStack, once the bound is reached it writes the current value once more and stops. Unlike ZStack,
a tick can never land after the API finished: ticks are written with ``only_while_running``, which the store
checks under the API's lock in the same transaction.
"""

from __future__ import annotations

import logging
import math
import threading

from taskprogress.core.stages import check_percent
from taskprogress.errors import InvalidArgument, TaskProgressError
from taskprogress.reporting.context import Scope, active_scope
from taskprogress.reporting.producer import _progress_record

logger = logging.getLogger(__name__)


class Ticker:
    """A running ``report_until``; ``stop()`` ends it (and waits for the thread)."""

    def __init__(self, scope: Scope | None, bound: float, interval: float) -> None:
        self._scope = scope
        self._bound = bound
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if scope is not None:
            self._thread = threading.Thread(target=self._run, name="taskprogress-report-until", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the ticker to end by itself; True if it did."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _run(self) -> None:
        assert self._scope is not None
        try:
            while not self._stop.is_set() and self._tick(self._scope):
                if self._stop.wait(self._interval):
                    break
            self._scope.run.sink.flush()  # when the ticker is over, its ticks are readable
        except TaskProgressError as exc:
            logger.error("report_until stopped: %s", exc)

    def _tick(self, scope: Scope) -> bool:
        """Write one tick; False when the ticker is done."""
        run = scope.run
        if run.closed.is_set() or run.interruption is not None:
            return False
        run.sink.flush()  # what was reported so far must be visible to the position read
        current, finished = run.sink.position(run.api_id, scope.slots[0] if scope.slots else None)
        if finished or run.closed.is_set():
            return False
        current = max(current, scope.range.start)
        if self._bound <= current + 1e-9:
            run.sink.submit(_progress_record(scope, current, only_while_running=True))
            return False
        run.sink.submit(
            _progress_record(scope, min(math.floor(current + 1e-9) + 1, self._bound), only_while_running=True)
        )
        return True


def report_until(percent: float, interval: float) -> Ticker:
    """Raise progress one point every ``interval`` seconds up to ``percent`` (in the current stage's
    coordinates), in the background. It stops at the bound, when real progress passes it, when the API
    finishes or its block ends, or on ``stop()``."""
    check_percent(percent)
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not interval > 0:
        raise InvalidArgument(f"interval must be a number of seconds > 0, got {interval!r}")
    scope = active_scope()
    bound = scope.range.absolute(percent) if scope else 0.0
    return Ticker(scope, bound, float(interval))
