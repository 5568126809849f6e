"""ZStack's query APIs (``GET /v1/<resources>``) over a list of inventories (pure, no I/O).

Parameters: repeated ``q=<name><op><value>``, ``limit``, ``start``, ``sort=[+|-]name``, ``count``,
``replyWithCount``, ``fields=a,b``. The operator of a condition is the first one found in ZStack's order, the name
is trimmed and the value is not. Our collections are small (accounts, settings), so filtering happens in memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from taskprogress.errors import InvalidArgument
from taskprogress.rest.errors import RestError
from taskprogress.rest.query_string import QueryString

OPERATORS = ("!=", ">=", "<=", "!?=", "!~=", "~=", "?=", "=", ">", "<")
NULL_OPERATORS = ("is null", "not null")


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Condition:
        for op in OPERATORS:
            name, found, value = text.partition(op)
            if found:
                return cls(name.strip(), op, value)
        for op in NULL_OPERATORS:
            if text.rstrip().endswith(" " + op):
                return cls(text.rstrip()[: -len(op)].strip(), op, "")
        raise RestError(
            400,
            f"Invalid query parameter. The '{text}' in the parameter[q] doesn't contain any query operator. "
            f"Valid query operators are {[*OPERATORS, *NULL_OPERATORS]}",
        )

    def matches(self, inventory: dict[str, Any]) -> bool:
        raw = inventory.get(self.name)
        if self.op == "is null":
            return raw is None
        if self.op == "not null":
            return raw is not None
        if raw is None:
            return False
        actual = _text(raw)
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        if self.op in ("?=", "!?="):
            return (actual in self.value.split(",")) == (self.op == "?=")
        if self.op in ("~=", "!~="):
            return bool(_like(self.value).fullmatch(actual)) == (self.op == "~=")
        left, right = _comparable(actual, self.value)
        return {">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right}[self.op]


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _comparable(left: str, right: str) -> tuple[Any, Any]:
    try:
        return float(left), float(right)
    except ValueError:
        return left, right


def _sort_key(value: Any) -> tuple[int, float, str]:
    """Nulls first, then numbers by value, then the rest as text: never compares a number with a string."""
    if value is None:
        return (0, 0.0, "")
    try:
        return (1, float(value), "")
    except (TypeError, ValueError):
        return (2, 0.0, _text(value))


def _like(pattern: str) -> re.Pattern[str]:
    """SQL LIKE: ``%`` any run, ``_`` one character."""
    return re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern), re.DOTALL)


@dataclass(frozen=True, slots=True)
class QueryReply:
    inventories: list[dict[str, Any]] | None  # None when only the count was asked for
    total: int | None


def run_query(inventories: list[dict[str, Any]], query: QueryString, fields: frozenset[str]) -> QueryReply:
    conditions = [Condition.parse(text) for text in query.values("q")]
    for condition in conditions:
        if condition.name not in fields:
            raise InvalidArgument(f"condition name[{condition.name}] is invalid, no such field on the inventory")
    selected = [inv for inv in inventories if all(c.matches(inv) for c in conditions)]
    total = len(selected)
    if query.boolean("count"):
        return QueryReply(None, total)
    if (sort := query.scalar("sort")) is not None:
        sort = sort.strip()
        descending = sort.startswith("-")
        key = sort.lstrip("+-").strip()
        if key not in fields:
            raise InvalidArgument(f"sort field[{key}] is invalid, no such field on the inventory")
        selected.sort(key=lambda inv: _sort_key(inv.get(key)))
        if descending:
            selected.reverse()
    start, limit = query.integer("start"), query.integer("limit")
    if (start is not None and start < 0) or (limit is not None and limit < 0):
        raise RestError(400, "Invalid query parameter[start/limit], they must not be negative")
    selected = selected[start or 0 :]
    if limit is not None:
        selected = selected[:limit]
    if (wanted := query.scalar("fields")) is not None:
        keep = {f.strip() for f in wanted.split(",")}
        selected = [{k: v for k, v in inv.items() if k in keep} for inv in selected]
    return QueryReply(selected, total if query.boolean("replyWithCount") else None)
