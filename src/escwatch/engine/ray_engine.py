"""The Ray engine: parse and analyse on Ray worker actors, store on the driver.

Each actor loads the packs and models once, then analyses batches of documents. The driver streams
the input: at most ``window`` batches are in flight, so a slow store or slow workers hold back the
reading (back-pressure), and results come back in input order, so the store ends up exactly as the
local engine leaves it (``tests/test_ray_engine.py`` compares the two). With no address a local Ray
is started with one CPU per worker and shut down afterwards; with ``address`` (``ray://host:10001``
or ``auto``) the cluster's nodes need escwatch installed and the same pack folders.

    with RayEngine(packs, workers=2) as engine:
        ingest_docs(docs, store, ctx, mapper=engine)
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

from escwatch.engine.local import Processed, process_doc
from escwatch.errors import EngineError
from escwatch.ingest.live import Item
from escwatch.records import RawDoc, Report


class Analyser:
    """One worker's state: the analysis context, loaded once (packs, gazetteer, language models)."""

    def __init__(self, packs: tuple[str, ...]) -> None:
        from escwatch.analyse.context import make_context
        from escwatch.analyse.pipeline import warm

        self.ctx = make_context(packs)
        warm(self.ctx)

    def ready(self) -> int:
        return os.getpid()

    def run(self, docs: list[RawDoc]) -> list[Processed]:
        return [process_doc(doc, self.ctx) for doc in docs]


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

    def __call__(self, items: Iterable[Item], skip: Callable[[str], bool]) -> Iterator[tuple[Item, Processed]]:
        if not self.actors:
            raise EngineError("the Ray engine is not started", hint="use it as `with RayEngine(...) as engine:`")
        pending: deque[tuple[list[Item], Any]] = deque()
        limit = self.window * len(self.actors)
        batch: list[Item] = []
        turn = 0

        def submit() -> None:
            nonlocal turn, batch
            docs = [it.doc for it in batch if isinstance(it.doc, RawDoc)]
            ref = self.actors[turn % len(self.actors)].run.remote(docs) if docs else None
            pending.append((batch, ref))
            turn, batch = turn + 1, []

        def drain() -> Iterator[tuple[Item, Processed]]:
            its, ref = pending.popleft()
            outs = iter(self._get(ref) if ref is not None else ())
            for it in its:
                out = next(outs) if isinstance(it.doc, RawDoc) else None
                if isinstance(out, Report) and skip(out.id):
                    out = None  # already stored: the local engine would not have analysed it
                yield it, out

        for item in items:
            batch.append(item)
            if len(batch) >= self.batch:
                submit()
                while len(pending) >= limit:
                    yield from drain()
        if batch:
            submit()
        while pending:
            yield from drain()


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise EngineError("the Ray engine needs Ray", hint="pip install 'escwatch[ray]'") from exc
    return ray
