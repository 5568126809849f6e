"""``ProgressTree``: records from ``watch()`` folded into the tree GetTaskProgress ``all=true`` would serve.

The server's rule: a record hangs under the newest *earlier* record whose ``task_uuid`` is its ``parent_uuid``;
one whose parent is unknown is a root. A sub-task's state is its newest record; its percent is the newest
Progress record among its children. No I/O: a CLI or a dashboard feeds it and redraws.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from taskprogress.sdk._models import TaskProgress

__all__ = ["ProgressNode", "ProgressTree"]


@dataclass(slots=True)
class ProgressNode:
    record: TaskProgress
    children: list[ProgressNode] = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        """The newest percent reported directly under this record (a sub-task's bar); None when none yet."""
        for child in reversed(self.children):
            if child.record.percent is not None:
                return child.record.percent
        return None

    @property
    def steps(self) -> list[ProgressNode]:
        return [child for child in self.children if child.record.type == "Task"]


class ProgressTree:
    def __init__(self) -> None:
        self.roots: list[ProgressNode] = []
        self._latest: dict[str, ProgressNode] = {}

    def add(self, record: TaskProgress) -> ProgressNode:
        node = ProgressNode(record)
        parent = self._latest.get(record.parent_uuid) if record.parent_uuid is not None else None
        (self.roots if parent is None else parent.children).append(node)
        self._latest[record.task_uuid] = node
        return node

    @property
    def percent(self) -> float | None:
        """The API's overall percent: the newest root-level Progress record."""
        for node in reversed(self.roots):
            if node.record.percent is not None:
                return node.record.percent
        return None

    def walk(self) -> list[tuple[int, ProgressNode]]:
        """Every node with its depth, depth first in served order."""
        out: list[tuple[int, ProgressNode]] = []

        def visit(nodes: list[ProgressNode], depth: int) -> None:
            for node in nodes:
                out.append((depth, node))
                visit(node.children, depth + 1)

        visit(self.roots, 0)
        return out
