"""The local engine: parse and analyse in this process, write to the store in batches.

Per-report work is a pure function of one document plus the loaded pack, so the same
``process_doc`` runs unchanged in a process pool or on Ray workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from escwatch.analyse.context import Context
from escwatch.analyse.pipeline import analyse_report
from escwatch.errors import EscwatchError
from escwatch.ingest.live import Item
from escwatch.parse import parse
from escwatch.records import ErrorRecord, RawDoc, Report
from escwatch.store import Store

BATCH = 64

Processed = Report | ErrorRecord | None  # None: the report is already stored (``skip`` said so)


class Mapper(Protocol):
    """Runs the per-report work over items, in order: (item, result) per item. Items whose ``doc`` is
    not a RawDoc pass through with None. ``skip(report_id)`` says a report is already stored."""

    def __call__(self, items: Iterable[Item], skip: Callable[[str], bool]) -> Iterator[tuple[Item, Processed]]: ...


@runtime_checkable
class StoringMapper(Mapper, Protocol):
    """A mapper whose workers can also store what they analyse (each runs ``ingest_items`` on its batches
    against the same store): ``ingest`` returns the merged result in input order, or None when this store
    is out of the workers' reach (then the driver stores, through ``__call__``)."""

    def ingest(self, items: Iterable[Item], store: Store, batch_size: int, progress: Callable[[Item], None] | None,
               stop: Callable[[], bool]) -> IngestResult | None: ...


@dataclass
class IngestResult:
    new: int = 0
    duplicate: int = 0
    failed: int = 0
    new_ids: list[str] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)

    def merge(self, other: IngestResult) -> None:
        """Add another run's counts, ids and errors after this one's."""
        self.new += other.new
        self.duplicate += other.duplicate
        self.failed += other.failed
        self.new_ids += other.new_ids
        self.errors += other.errors

    def as_dict(self) -> dict[str, object]:
        return {"new": self.new, "duplicate": self.duplicate, "failed": self.failed, "new_ids": self.new_ids,
                "errors": [asdict(e) for e in self.errors]}


def process_doc(doc: RawDoc, ctx: Context,
                skip: Callable[[str], bool] = lambda _id: False) -> Report | ErrorRecord | None:
    """Parse and analyse one document; None when ``skip`` says its report is already stored."""
    stage = "parse"
    try:
        report = parse(doc)
        if skip(report.id):
            return None
        stage = "analyse"
        return analyse_report(report, ctx)
    except EscwatchError as exc:
        return ErrorRecord(doc.source, stage, exc.code, str(exc))
    except RecursionError:
        return ErrorRecord(doc.source, stage, "E100", "[E100] document too deeply nested to process")


def local_mapper(ctx: Context) -> Mapper:
    """The local engine: each document parsed and analysed in this process, when it comes."""

    def run(items: Iterable[Item], skip: Callable[[str], bool]) -> Iterator[tuple[Item, Processed]]:
        for item in items:
            yield item, process_doc(item.doc, ctx, skip) if isinstance(item.doc, RawDoc) else None

    return run


def ingest_items(items: Iterable[Item], store: Store, ctx: Context, batch_size: int = 16,
                 progress: Callable[[Item], None] | None = None,
                 stop: Callable[[], bool] = lambda: False, mapper: Mapper | None = None) -> IngestResult:
    """Like ``ingest_docs`` for keyed items from live sources: each item's key is marked seen in the
    transaction that stores its report (or records its failure); transient failures stay unmarked.
    ``stop`` is asked between items: a clean shutdown finishes the batch in hand. ``mapper`` runs the
    per-report work (default: this process; ``engine.ray_engine.RayEngine`` for Ray workers, which also
    store their batches when they can reach the store)."""
    if isinstance(mapper, StoringMapper):
        done = mapper.ingest(items, store, batch_size, progress, stop)
        if done is not None:
            return done
    result = IngestResult()
    batch: list[Report] = []
    marks: list[tuple[str, str | None, str]] = []
    states: list[dict[str, Any]] = []
    ids: set[str] = set()

    def flush() -> None:
        keyed = [m for m in marks if m[0]]  # documents from files and folders have no item key
        for rep, new in zip(batch, store.add_reports(batch, keyed, states), strict=True):
            if new:
                result.new += 1
                result.new_ids.append(rep.id)
            else:
                result.duplicate += 1
        batch.clear()
        marks.clear()
        states.clear()
        ids.clear()  # stored now: the store answers for them

    def fail(err: ErrorRecord) -> None:
        result.failed += 1
        result.errors.append(err)
        store.add_error(err)

    run = mapper or local_mapper(ctx)
    for item, out in run(items, lambda rid: rid in ids or store.has_report(rid)):
        doc = item.doc
        if doc is None:
            marks.append((item.key, None, "done"))
            if item.fetch_state:
                states.append(item.fetch_state)
        elif isinstance(doc, ErrorRecord):
            fail(doc)
            if not item.retry:
                marks.append((item.key, None, "failed"))
        elif out is None:
            result.duplicate += 1
            marks.append((item.key, None, "duplicate"))
        elif isinstance(out, ErrorRecord):
            fail(out)
            marks.append((item.key, None, "failed"))
        else:
            ids.add(out.id)
            batch.append(out)
            marks.append((item.key, out.id, "stored"))
        if progress:
            progress(item)
        if len(marks) >= batch_size:
            flush()
        if stop():
            break
    flush()
    return result


def ingest_docs(items: Iterable[RawDoc | ErrorRecord], store: Store, ctx: Context,
                mapper: Mapper | None = None) -> IngestResult:
    """Parse, analyse and store every document; errors become rows and the run goes on."""
    return ingest_items((Item("", doc) for doc in items), store, ctx, batch_size=BATCH, mapper=mapper)
