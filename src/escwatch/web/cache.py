"""A response cache for the read API that can never serve stale data.

``DataVersion`` is a token that changes whenever anything is committed to the store, by any process:
SQLite's ``PRAGMA data_version`` on a connection of its own that never writes (it moves on every commit
of every other connection), PostgreSQL's ``pg_current_snapshot()`` (it moves whenever a transaction that
wrote anything starts or ends). It is read on every request (microseconds on SQLite, one round trip on
PostgreSQL), always *before* the answer is computed, so an answer is filed under a version at most as new
as the data it shows: a write committed meanwhile changes the version and the next request recomputes.

``ResponseCache`` (ASGI middleware) keeps successful ``GET /api/...`` answers keyed by (path, query
string) of the current version (everything is dropped when it moves), within a byte budget, serves
them with an ``ETag`` (``If-None-Match`` answers 304) and ``Cache-Control: no-cache``, and lets only
one request compute a given key at a time (the others wait for its answer).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from escwatch.store import Store

if TYPE_CHECKING:
    from escwatch.web.api import Web

CACHED_PREFIX = "/api/"
UNCACHED = frozenset({"/api/csrf"})  # per browser (sets a cookie)
MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRY = 4 * 1024 * 1024
PG_VERSION = "SELECT pg_current_snapshot()::text"
# the version read when the request began: its handler (in a worker thread) uses it instead of reading again
REQUEST_VERSION: contextvars.ContextVar[str | None] = contextvars.ContextVar("escwatch_data_version", default=None)


class DataVersion:
    """A token that changes whenever anything is committed to the store; None when it cannot tell."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.dialect = store.engine.dialect.name
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        path = store.engine.url.database if self.dialect == "sqlite" else None
        if path and path != ":memory:" and not path.startswith("file:"):
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)

    @property
    def cheap(self) -> bool:
        """True when reading the version does no I/O worth a thread (SQLite)."""
        return self._conn is not None

    def current(self) -> str | None:
        try:
            if self._conn is not None:
                with self._lock:
                    return f"s{self._conn.execute('PRAGMA data_version').fetchone()[0]}"
            if self.dialect == "postgresql":
                with self.store.engine.connect() as conn:
                    return f"p{conn.execute(text(PG_VERSION)).scalar_one()}"
        except Exception:
            return None
        return None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


@dataclass(frozen=True)
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes


def etag_of(body: bytes) -> bytes:
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


class ResponseCache:
    """ASGI middleware: cached answers of ``GET /api/...`` of the store's current data version."""

    def __init__(self, app: ASGIApp, web: Web, max_bytes: int = MAX_BYTES) -> None:
        self.app = app
        self.web = web
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple[str, bytes], Entry] = OrderedDict()
        self.size = 0
        self.version: str | None = None
        self.pending: dict[tuple[str, bytes], asyncio.Event] = {}
        self.hits = self.misses = 0
        web.response_cache = self

    async def _version(self) -> str | None:
        """The current data version; None (do not cache) also when the store cannot be opened: the app
        then answers with the store's own error."""
        web = self.web
        try:
            versions = web.versions if web.ready else await run_in_threadpool(lambda: web.versions)
        except Exception:
            return None
        return versions.current() if versions.cheap else await run_in_threadpool(versions.current)

    def _clear(self, version: str | None) -> None:
        if version != self.version:
            self.entries.clear()
            self.size = 0
            self.version = version

    def _put(self, key: tuple[str, bytes], entry: Entry) -> None:
        if len(entry.body) > MAX_ENTRY:
            return
        self.entries[key] = entry
        self.size += len(entry.body)
        while self.size > self.max_bytes and self.entries:
            _, old = self.entries.popitem(last=False)
            self.size -= len(old.body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "GET" or not path.startswith(CACHED_PREFIX) \
                or path in UNCACHED:
            await self.app(scope, receive, send)
            return
        key = (path, scope.get("query_string", b""))
        while True:
            version = await self._version()
            if version is None:
                await self.app(scope, receive, send)
                return
            self._clear(version)
            entry = self.entries.get(key)
            if entry is not None:
                self.hits += 1
                self.entries.move_to_end(key)
                await self._answer(scope, send, entry)
                return
            waiting = self.pending.get(key)
            if waiting is None:
                break
            await waiting.wait()  # another request computes this answer: look again
        self.misses += 1
        done = self.pending[key] = asyncio.Event()
        token = REQUEST_VERSION.set(version)
        try:
            entry = await self._compute(scope, receive, send)
            if entry is not None and self.version == version:
                self._put(key, entry)
        finally:
            REQUEST_VERSION.reset(token)
            del self.pending[key]
            done.set()

    async def _compute(self, scope: Scope, receive: Receive, send: Send) -> Entry | None:
        """Run the app, buffering a 200 answer to keep it (others pass through as they are)."""
        start: Message | None = None
        chunks: list[bytes] = []
        passing = False

        async def capture(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
            elif message["type"] == "http.response.start":
                start = message
                if message["status"] != 200:
                    passing = True
                    await send(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    assert start is not None
                    body = b"".join(chunks)
                    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                    entry = Entry(start["status"], headers, body, etag_of(body))
                    captured.append(entry)
                    await self._answer(scope, send, entry)

        captured: list[Entry] = []
        await self.app(scope, receive, capture)
        return captured[0] if captured else None

    @staticmethod
    async def _answer(scope: Scope, send: Send, entry: Entry) -> None:
        tags = dict(scope.get("headers", [])).get(b"if-none-match", b"")
        fresh = entry.etag in {t.strip() for t in tags.split(b",")} or tags.strip() == b"*"
        headers = [*entry.headers, (b"etag", entry.etag), (b"cache-control", b"no-cache")]
        if fresh:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": entry.status,
                    "headers": [*headers, (b"content-length", str(len(entry.body)).encode())]})
        await send({"type": "http.response.body", "body": entry.body})


def cache_stats(app: Any) -> dict[str, int]:
    """Hits and misses of the response cache of an app made by ``create_app`` (for tests and benchmarks)."""
    cache = app.state.web.response_cache
    return {"hits": cache.hits, "misses": cache.misses, "entries": len(cache.entries)} if cache else {}
