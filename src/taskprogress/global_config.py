"""The global configuration catalog: every setting, its type, default and validation.

Values live in the ``global_config`` table (so every node sees a change); this module says what is allowed.
Names follow ZStack (category ``progress``: ``on``, ``ttl``, ``cleanupThreadInterval``); ``deleteDelay`` is a
setting here where ZStack hard-codes 300 s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from taskprogress.errors import InvalidArgument


@dataclass(frozen=True)
class ConfigDefinition:
    category: str
    name: str
    type: str  # ZStack's type names: java.lang.Boolean, java.lang.Integer, java.lang.String
    default: str
    description: str
    check: Callable[[Any], bool] = lambda _value: True
    rule: str = ""

    def parse(self, text: str) -> Any:
        """The typed value of ``text``, or InvalidArgument naming the setting and the rule."""
        where = f"{self.category}.{self.name}"
        if self.type == "java.lang.Boolean":
            lowered = str(text).strip().lower()
            if lowered not in ("true", "false"):
                raise InvalidArgument(f"global config {where} must be true or false, got {text!r}")
            value: Any = lowered == "true"
        elif self.type == "java.lang.Integer":
            try:
                value = int(str(text).strip())
            except ValueError:
                raise InvalidArgument(f"global config {where} must be an integer, got {text!r}") from None
        else:
            value = str(text)
        if not self.check(value):
            raise InvalidArgument(f"global config {where} must be {self.rule}, got {text!r}")
        return value

    def normalize(self, text: str) -> str:
        """The canonical text stored for ``text`` (``True`` becomes ``true``)."""
        value = self.parse(text)
        return str(value).lower() if isinstance(value, bool) else str(value)


CATALOG: dict[tuple[str, str], ConfigDefinition] = {
    (d.category, d.name): d
    for d in (
        ConfigDefinition("progress", "on", "java.lang.Boolean", "true", "Whether task progress is recorded"),
        ConfigDefinition(
            "progress",
            "ttl",
            "java.lang.Integer",
            "86400",
            "Seconds after an API's newest record when all its records are deleted, finished or not",
            check=lambda v: v > 0,
            rule="greater than 0",
        ),
        ConfigDefinition(
            "progress",
            "cleanupThreadInterval",
            "java.lang.Integer",
            "300",
            "Seconds between two runs of the progress cleanup",
            check=lambda v: v >= 1,
            rule="at least 1",
        ),
        ConfigDefinition(
            "progress",
            "deleteDelay",
            "java.lang.Integer",
            "300",
            "Seconds an API's progress stays readable after the API finished",
            check=lambda v: v >= 0,
            rule="at least 0",
        ),
        ConfigDefinition(
            "progress",
            "stallTimeout",
            "java.lang.Integer",
            "120",
            "Seconds without progress (no higher percent, no new step) after which a running API is stalled",
            check=lambda v: v >= 1,
            rule="at least 1",
        ),
        ConfigDefinition(
            "progress",
            "rateWindow",
            "java.lang.Integer",
            "60",
            "Seconds of recent progress the rate and the ETA are computed from",
            check=lambda v: v >= 1,
            rule="at least 1",
        ),
        ConfigDefinition(
            "identity",
            "session.timeout",
            "java.lang.Integer",
            "7200",
            "Seconds a session lives after login or after its last authenticated call",
            check=lambda v: v > 0,
            rule="greater than 0",
        ),
        ConfigDefinition(
            "identity",
            "session.maxConcurrent",
            "java.lang.Integer",
            "500",
            "Live sessions one account may hold; one more login fails with ID.1006",
            check=lambda v: v > 0,
            rule="greater than 0",
        ),
        ConfigDefinition(
            "identity",
            "session.cleanup.interval",
            "java.lang.Integer",
            "3600",
            "Seconds between two sweeps deleting expired sessions",
            check=lambda v: v >= 1,
            rule="at least 1",
        ),
        ConfigDefinition(
            "rest",
            "completedApi.expiredPeriod",
            "java.lang.Integer",
            "10800",
            "Seconds the result of a finished API job stays readable at /v1/api-jobs/{uuid}",
            check=lambda v: v > 0,
            rule="greater than 0",
        ),
        ConfigDefinition(
            "rest",
            "expiredApi.scanInterval",
            "java.lang.Integer",
            "3600",
            "Seconds between two sweeps deleting expired API job results",
            check=lambda v: v >= 1,
            rule="at least 1",
        ),
        ConfigDefinition(
            "rest",
            "api.timeout",
            "java.lang.Integer",
            "1800",
            "Default API timeout in seconds, announced as apiTimeout (ms) in a 202 (X-API-Timeout overrides it)",
            check=lambda v: v > 0,
            rule="greater than 0",
        ),
        # ZStack's default (72 h); not its minimum of 10800 s, so a short run can be tested in seconds.
        ConfigDefinition(
            "longJob",
            "api.timeout",
            "java.lang.Integer",
            "259200",
            "Seconds one run of a long job may take; past it the job is interrupted and Failed (SYS.1001)",
            check=lambda v: v >= 1,
            rule="at least 1",
        ),
    )
}


def definition(category: str, name: str) -> ConfigDefinition:
    try:
        return CATALOG[(category, name)]
    except KeyError:
        raise InvalidArgument(f"no global config {category}.{name}") from None
