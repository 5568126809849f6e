"""``X-Web-Hook``: the final result of an async API is POSTed to the URL the client gave.

The body is what the job URL answers; headers ``X-Job-UUID`` and ``X-Job-Success``. A delivery that fails (no
answer, or not 2xx) is retried with exponential backoff; one thread delivers them all, so a slow receiver delays
others by at most the request timeout. Deliveries still pending at shutdown are logged and dropped.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from dataclasses import dataclass

import httpx
import orjson

from taskprogress.rest.wire import JSON_TYPE
from taskprogress.services.api_jobs import ApiJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivery:
    url: str
    job_id: str
    success: bool
    body: bytes
    attempt: int = 1


class WebhookSender:
    def __init__(
        self, *, attempts: int = 15, first_delay: float = 0.5, max_delay: float = 8.0, timeout: float = 10.0
    ) -> None:
        self._attempts = attempts
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)
        self._queue: list[tuple[float, int, Delivery]] = []  # (due, tie-breaker, delivery)
        self._order = itertools.count()
        self._cv = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="taskprogress-webhooks", daemon=True)
        self._thread.start()

    def job_finished(self, job: ApiJob) -> None:
        """The runner's callback: queue the delivery of the job's result if it asked for one."""
        if job.webhook is None or job.outcome is None:
            return
        self._schedule(Delivery(job.webhook, job.id, job.outcome.succeeded, orjson.dumps(job.outcome.body)), 0.0)

    def _schedule(self, delivery: Delivery, delay: float) -> None:
        with self._cv:
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._order), delivery))
            self._cv.notify()

    def close(self) -> None:
        with self._cv:
            self._closing = True
            self._cv.notify()
        self._thread.join()
        if self._queue:
            logger.warning("dropping %d webhook deliveries still pending at shutdown", len(self._queue))
        self._client.close()

    def _next(self) -> Delivery | None:
        with self._cv:
            while not self._closing:
                if self._queue and self._queue[0][0] <= time.monotonic():
                    return heapq.heappop(self._queue)[2]
                self._cv.wait(self._queue[0][0] - time.monotonic() if self._queue else None)
            return None

    def _run(self) -> None:
        while (delivery := self._next()) is not None:
            if self._send(delivery):
                continue
            if delivery.attempt >= self._attempts:
                logger.warning(
                    "gave up on webhook %s of job %s after %d attempts", delivery.url, delivery.job_id, delivery.attempt
                )
                continue
            delay = min(self._first_delay * 2 ** (delivery.attempt - 1), self._max_delay)
            self._schedule(
                Delivery(delivery.url, delivery.job_id, delivery.success, delivery.body, delivery.attempt + 1), delay
            )

    def _send(self, delivery: Delivery) -> bool:
        headers = {
            "Content-Type": JSON_TYPE,
            "X-Job-UUID": delivery.job_id,
            "X-Job-Success": "true" if delivery.success else "false",
        }
        try:
            response = self._client.post(delivery.url, content=delivery.body, headers=headers)
        except httpx.HTTPError as exc:
            logger.info(
                "webhook %s of job %s failed (attempt %d): %s", delivery.url, delivery.job_id, delivery.attempt, exc
            )
            return False
        if response.is_success:
            return True
        logger.info(
            "webhook %s of job %s answered %d (attempt %d)",
            delivery.url,
            delivery.job_id,
            response.status_code,
            delivery.attempt,
        )
        return False
