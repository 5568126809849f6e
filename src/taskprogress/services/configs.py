"""Global configuration over the API: everyone may read, only an admin may change (validated by the catalog)."""

from __future__ import annotations

from typing import Any

from taskprogress.errors import InvalidArgument, PermissionDenied
from taskprogress.services.identity import Caller
from taskprogress.store import Store

UPDATE_MSG = "org.zstack.header.core.config.APIUpdateGlobalConfigMsg"


class GlobalConfigs:
    def __init__(self, store: Store) -> None:
        self._store = store

    def list(self) -> list[dict[str, Any]]:
        return self._store.list_configs()

    def update(self, caller: Caller, category: str, name: str, value: Any) -> dict[str, Any]:
        """Validate and store a new value; it takes effect on every node within a second, without restart."""
        if not caller.is_admin:
            raise PermissionDenied("only an admin account can change global configurations")
        if value is None:
            raise InvalidArgument(f"field[value] of message[{UPDATE_MSG}] is mandatory, can not be null")
        if isinstance(value, dict | list):
            raise InvalidArgument(f"field[value] of message[{UPDATE_MSG}] must be a scalar, got {value!r}")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        self._store.update_config(category, name, text)
        return next(c for c in self._store.list_configs() if c["category"] == category and c["name"] == name)
