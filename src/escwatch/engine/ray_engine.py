"""The Ray engine: parse, analyse and store on Ray worker actors.

Each actor loads the packs and models once, then takes batches of items. When the workers can reach
the store (PostgreSQL; SQLite on this machine, with a local Ray) each runs the local engine's own
``ingest_items`` on its batch against the store, so the driver only reads the input and adds up the
results; otherwise (a SQLite file with a remote cluster) the actors analyse and the driver stores.
Either way the driver streams the input: at most ``window`` batches per worker are in flight, so a
slow store or slow workers hold back the reading (back-pressure), and results are taken in input
order, so the store ends up as the local engine leaves it (``tests/test_ray_engine.py`` compares
the two). With no address a local Ray is started with one CPU per worker and shut down afterwards;
with ``address`` (``ray://host:10001`` or ``auto``) the cluster's nodes need escwatch installed and
the same pack folders.

    with RayEngine(packs, workers=2) as engine:
        ingest_docs(docs, store, ctx, mapper=engine)
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

from escwatch.engine.local import IngestResult, Processed, ingest_items, process_doc
from escwatch.errors import EngineError
from escwatch.ingest.live import Item
from escwatch.records import RawDoc, Report
from escwatch.store import Store, open_store


class Analyser:
    """One worker's state: the analysis context, loaded once (packs, gazetteer, language models), and
    its own handle on each store it writes to."""

    def __init__(self, packs: tuple[str, ...]) -> None:
        from escwatch.analyse.context import make_context
        from escwatch.analyse.pipeline import warm

        self.ctx = make_context(packs)
        warm(self.ctx)
        self.stores: dict[str, Store] = {}

    def ready(self) -> int:
        return os.getpid()

    def run(self, docs: list[RawDoc]) -> list[Processed]:
        return [process_doc(doc, self.ctx) for doc in docs]

    def ingest(self, url: str, items: list[Item]) -> IngestResult:
        """The local engine on one batch: analysed and stored here, in one transaction."""
        if url not in self.stores:
            self.stores[url] = open_store(url)
        return ingest_items(items, self.stores[url], self.ctx, batch_size=len(items))


class RayEngine:
    """A mapper for ``engine.local.ingest_items`` that runs the per-report work on Ray actors."""

    def __init__(self, packs: tuple[str, ...] = (), address: str | None = None, workers: int | None = None,
                 batch: int = 16, window: int = 2) -> None:
        self.packs, self.address = tuple(packs), address
        self.workers = workers or os.cpu_count() or 1
        self.batch, self.window = batch, window
        self.actors: list[Any] = []
        self.started = False
        self.pids: list[int] = []

    def __enter__(self) -> RayEngine:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> RayEngine:
        """Start (or join) Ray and the worker actors; returns when every worker has loaded its models."""
        ray = _ray()
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no phoning home from an offline desk
        if not ray.is_initialized():
            try:
                if self.address:
                    ray.init(address=self.address, log_to_driver=False, configure_logging=False)
                else:
                    ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False,
                             configure_logging=False)
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError …
                raise EngineError(f"cannot start or reach Ray{' at ' + self.address if self.address else ''}: "
                                  f"{exc}") from exc
            self.started = True
        actor = ray.remote(num_cpus=1)(Analyser)
        self.actors = [actor.remote(self.packs) for _ in range(self.workers)]
        self.pids = self._get([a.ready.remote() for a in self.actors])
        return self

    def close(self) -> None:
        ray = _ray()
        for a in self.actors:
            ray.kill(a)
        self.actors = []
        if self.started:
            ray.shutdown()
            self.started = False

    def _get(self, refs: Any) -> Any:
        ray = _ray()
        try:
            return ray.get(refs)
        except ray.exceptions.RayError as exc:
            raise EngineError(f"a Ray worker failed: {exc}") from exc

    def _stream(self, items: Iterable[Item], send: Callable[[Any, list[Item]], Any],
                stop: Callable[[], bool] = lambda: False) -> Iterator[tuple[list[Item], Any]]:
        """Batches of ``items`` sent to the actors in turn (``send(actor, batch)`` -> a ref or None), and
        each batch with its result, in input order; at most ``window`` batches per actor in flight.
        ``stop`` is asked between batches: the batches in flight are finished."""
        if not self.actors:
            raise EngineError("the Ray engine is not started", hint="use it as `with RayEngine(...) as engine:`")
        pending: deque[tuple[list[Item], Any]] = deque()
        limit = self.window * len(self.actors)
        batch: list[Item] = []
        turn = 0

        def submit() -> None:
            nonlocal turn, batch
            pending.append((batch, send(self.actors[turn % len(self.actors)], batch)))
            turn, batch = turn + 1, []

        def drain() -> tuple[list[Item], Any]:
            its, ref = pending.popleft()
            return its, None if ref is None else self._get(ref)

        for item in items:
            batch.append(item)
            if len(batch) >= self.batch:
                submit()
                while len(pending) >= limit:
                    yield drain()
                if stop():
                    break
        if batch:
            submit()
        while pending:
            yield drain()

    def __call__(self, items: Iterable[Item], skip: Callable[[str], bool]) -> Iterator[tuple[Item, Processed]]:
        """The actors analyse, this process stores: (item, report or error) in input order."""
        def send(actor: Any, batch: list[Item]) -> Any:
            docs = [it.doc for it in batch if isinstance(it.doc, RawDoc)]
            return actor.run.remote(docs) if docs else None

        for its, results in self._stream(items, send):
            outs = iter(results or ())
            for it in its:
                out = next(outs) if isinstance(it.doc, RawDoc) else None
                if isinstance(out, Report) and skip(out.id):
                    out = None  # already stored: the local engine would not have analysed it
                yield it, out

    def reaches(self, store: Store) -> bool:
        """Whether the workers can write to ``store`` themselves: a server, or a file on this machine
        when Ray runs here (not an in-memory database, which is this process's own)."""
        url = store.engine.url
        if url.get_backend_name() != "sqlite":
            return True
        return self.address is None and bool(url.database) and url.database != ":memory:" \
            and not str(url.database).startswith("file:")

    def ingest(self, items: Iterable[Item], store: Store, batch_size: int,
               progress: Callable[[Item], None] | None, stop: Callable[[], bool]) -> IngestResult | None:
        """Each batch analysed and stored by a worker (``Analyser.ingest``); the results added up in input
        order. None when the workers cannot reach ``store`` (the driver then stores, see ``__call__``).
        Batches are the engine's own size (``batch``): each is one transaction on a worker."""
        if not self.reaches(store):
            return None
        url = store.engine.url
        if url.get_backend_name() == "sqlite":  # the workers' own working folder may be another
            url = url.set(database=os.path.abspath(str(url.database)))
        result = IngestResult()
        address = url.render_as_string(hide_password=False)
        for its, part in self._stream(items, lambda actor, batch: actor.ingest.remote(address, batch), stop):
            result.merge(part)
            for it in its:
                if progress:
                    progress(it)
        return result


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise EngineError("the Ray engine needs Ray", hint="pip install 'escwatch[ray]'") from exc
    return ray
