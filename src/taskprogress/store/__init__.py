"""Storage: the only package that imports SQLAlchemy or a database driver."""

from taskprogress.store.store import CleanupResult, Store

__all__ = ["CleanupResult", "Store"]
