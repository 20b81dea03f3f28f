"""The store: reports and everything extracted from them, errors, on SQLite or PostgreSQL."""

from __future__ import annotations

from escwatch.store.db import Store, open_store

__all__ = ["Store", "open_store"]
