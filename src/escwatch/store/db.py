"""Store: idempotent writes keyed by content hash, reads that rebuild immutable records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import create_engine, delete, event, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from escwatch.errors import NotFoundError, StoreError
from escwatch.records import (
    CitedSource,
    Claim,
    DateRef,
    ErrorRecord,
    IndicatorHit,
    Mention,
    PlaceRef,
    Quote,
    Report,
    utc,
)
from escwatch.store import migrate, schema
from escwatch.store.schema import CHILDREN, errors, fetch_state, reports, seen_items

RECORD_OF = {"mentions": Mention, "places": PlaceRef, "dates": DateRef, "quotes": Quote, "claims": Claim,
             "cited_sources": CitedSource, "indicators": IndicatorHit}
# record field -> column where they differ
RENAMED = {"indicators": {"id": "indicator", "evidence": "text"}}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _utc_instant(dt: datetime | None) -> datetime | None:
    """The same instant in UTC: SQLite keeps no offset, so 10:00+02:00 would read back as 10:00 UTC."""
    aware = utc(dt)
    return aware.astimezone(UTC) if aware else None


LOCK_KEYS = {"migrate": 0x65736377, "stories": 0x65736378, "assess": 0x65736379}  # PostgreSQL advisory keys


@contextmanager
def named_lock(engine: Engine, name: str) -> Iterator[None]:
    """One process at a time in a named section (migrating, updating stories, saving the assessment):
    a lock file beside a SQLite store, an advisory lock on PostgreSQL."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEYS[name]})
            conn.commit()  # hold the session lock without an open transaction
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEYS[name]})
                conn.commit()
        return
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        yield
        return
    import fcntl

    with open(f"{path}.{name}-lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@cache
def _columns(key: str, cls: Any) -> tuple[tuple[str, str], ...]:
    """(attribute, column) pairs of a child record class (``dataclasses.fields`` is slow per row)."""
    rename = RENAMED.get(key, {})
    return tuple((f.name, rename.get(f.name, f.name)) for f in fields(cls))


class Store:
    """A handle on one database; safe to reopen, migrates on open."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            # a server may drop connections (restart, admin): test each before use
            self.engine: Engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
            if migrate.current(self.engine) != migrate.head():
                with named_lock(self.engine, "migrate"):  # several processes may open a new store at once
                    if migrate.current(self.engine) != migrate.head():
                        migrate.upgrade(self.engine)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(f"cannot open store {url}: {exc}") from exc

    # -- writes ---------------------------------------------------------------------------
    def has_report(self, report_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(reports.c.id).where(reports.c.id == report_id)).first() is not None

    def add_reports(self, batch: Iterable[Report], seen: Iterable[tuple[str, str | None, str]] = (),
                    fetch_states: Iterable[Mapping[str, Any]] = ()) -> list[bool]:
        """Insert reports in one transaction; returns True per report that was new. ``seen`` (item key,
        report id, status) rows and feeds' fetch states are written in the same transaction: an item is
        marked seen exactly when its report is stored, so a crash loses nothing and repeats nothing."""
        batch = list(batch)
        with self.engine.begin() as conn:
            new = self._insert(conn, batch)
            self._mark_seen(conn, seen)
            for state in fetch_states:
                self._set_fetch_state(conn, **state)
        out, done = [], set()
        for rep in batch:  # a report twice in one batch is new once
            out.append(rep.id in new and rep.id not in done)
            done.add(rep.id)
        return out

    def _mark_seen(self, conn: Connection, seen: Iterable[tuple[str, str | None, str]]) -> None:
        now = datetime.now(UTC)
        for key, rid, status in seen:
            conn.execute(delete(seen_items).where(seen_items.c.key == key))
            conn.execute(self.insert_or_ignore(seen_items).values(key=key, report_id=rid, status=status, seen_at=now))

    def mark_seen(self, seen: Iterable[tuple[str, str | None, str]]) -> None:
        with self.engine.begin() as conn:
            self._mark_seen(conn, seen)

    def seen(self, keys: Iterable[str]) -> set[str]:
        """Which of these item keys were handled before."""
        keys = list(keys)
        out: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(keys), 500):
                out.update(conn.execute(select(seen_items.c.key).where(
                    seen_items.c.key.in_(keys[i:i + 500]))).scalars())
        return out

    def fetch_state(self, url: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(fetch_state).where(fetch_state.c.url == url)).mappings().first()
        return dict(row) if row else {}

    def set_fetch_state(self, url: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            self._set_fetch_state(conn, url, **values)

    def _set_fetch_state(self, conn: Connection, url: str, **values: Any) -> None:
        conn.execute(delete(fetch_state).where(fetch_state.c.url == url))
        conn.execute(fetch_state.insert().values(url=url, fetched_at=datetime.now(UTC), **values))

    def lock(self, name: str) -> AbstractContextManager[None]:
        """Serialise a section across processes: ``with store.lock("stories"): ...``."""
        return named_lock(self.engine, name)

    def add_report(self, report: Report) -> bool:
        return self.add_reports([report])[0]

    def _insert(self, conn: Connection, batch: list[Report]) -> set[str]:
        """Insert the reports' rows and, for those that were new, their children's rows (one statement
        per table for the whole batch); returns the new reports' ids. Another process may store the same
        report between the check and the insert: insert-or-ignore, and children only where this one won."""
        first: dict[str, Report] = {}
        for rep in batch:  # a report twice in one batch counts once
            first.setdefault(rep.id, rep)
        have = set(conn.execute(select(reports.c.id).where(reports.c.id.in_(list(first)))).scalars())
        now = datetime.now(UTC)
        rows = [dict(
            id=rep.id, source=rep.source, url=rep.url, title=rep.title, outlet=rep.outlet, byline=rep.byline,
            published=_utc_instant(rep.published), published_source=rep.published_source,
            language=rep.language, declared_language=rep.declared_language, forwarded_from=rep.forwarded_from,
            links=list(rep.links), raw_text=rep.raw_text, text=rep.text, story=rep.story, ingested_at=now)
            for rep in first.values() if rep.id not in have]
        if not rows:
            return set()
        # the children's rows are built before the first write: a SQLite writer holds the store's write
        # lock from its first insert to its commit, and other writers (Ray workers, other ingests) wait
        children: dict[Any, list[dict[str, Any]]] = {}
        for rep in (r for r in first.values() if r.id not in have):
            for key, table in CHILDREN.items():
                for seq, item in enumerate(getattr(rep, key)):
                    row = {col: getattr(item, attr) for attr, col in _columns(key, item.__class__)}
                    if "roles" in row:
                        row["roles"] = [list(r) for r in row["roles"]]
                    row["report_id"], row["seq"] = rep.id, seq
                    children.setdefault(table, []).append(row)
        new = set(conn.execute(self.insert_or_ignore(reports).returning(reports.c.id), rows).scalars())
        for table, child_rows in children.items():
            mine = [r for r in child_rows if r["report_id"] in new]  # another writer may have stored some first
            if mine:
                conn.execute(table.insert(), mine)
        return new

    def insert_or_ignore(self, table: Any) -> Any:
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).on_conflict_do_nothing()
        if self.engine.dialect.name == "sqlite":
            return table.insert().prefix_with("OR IGNORE")
        return table.insert()

    def add_error(self, err: ErrorRecord) -> bool:
        """Record an error once per (source, stage, code); re-runs do not duplicate it."""
        with self.engine.begin() as conn:
            exists = conn.execute(select(errors.c.id).where(
                errors.c.source == err.source, errors.c.stage == err.stage, errors.c.code == err.code)).first()
            if exists:
                return False
            done = conn.execute(self.insert_or_ignore(errors).values(
                source=err.source, stage=err.stage, code=err.code, message=err.message, created_at=datetime.now(UTC)))
            return bool(done.rowcount)

    # -- reads ----------------------------------------------------------------------------
    def resolve_id(self, prefix: str) -> str:
        with self.engine.connect() as conn:  # a whole id by the primary key first (LIKE scans every id)
            if conn.execute(select(reports.c.id).where(reports.c.id == prefix)).first() is not None:
                return prefix
            ids = conn.execute(select(reports.c.id).where(reports.c.id.startswith(prefix)).limit(2)).scalars().all()
        if len(ids) != 1:
            raise NotFoundError(f"no report with id {prefix!r}" if not ids else f"id prefix {prefix!r} is ambiguous")
        return ids[0]

    def get_report(self, report_id: str) -> Report:
        rid = self.resolve_id(report_id)
        with self.engine.connect() as conn:
            row = conn.execute(select(reports).where(reports.c.id == rid)).mappings().one()
            return self._build(conn, row)

    def iter_reports(self, order: str = "published") -> Iterator[Report]:
        with self.engine.connect() as conn:
            col = reports.c.published if order == "published" else reports.c.ingested_at
            for row in conn.execute(select(reports).order_by(col, reports.c.id)).mappings().all():
                yield self._build(conn, row)

    def _build(self, conn: Connection, row: Any) -> Report:
        parts: dict[str, Any] = {}
        for key, table in CHILDREN.items():
            rec = RECORD_OF[key]
            rename = {v: k for k, v in RENAMED.get(key, {}).items()}
            items = []
            for r in conn.execute(select(table).where(table.c.report_id == row["id"]).order_by(table.c.seq)).mappings():
                kw = {rename.get(k, k): v for k, v in r.items() if k not in ("id", "report_id", "seq")}
                if "roles" in kw:
                    kw["roles"] = tuple(tuple(x) for x in kw["roles"] or ())
                items.append(rec(**kw))
            parts[key] = tuple(items)
        base = {k: row[k] for k in ("id", "source", "raw_text", "text", "title", "url", "outlet", "byline",
                                    "published_source",
                                    "language", "declared_language", "forwarded_from", "story")}
        return Report(**base, published=utc(row["published"]), links=tuple(row["links"] or ()), **parts)

    def counts(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            langs: dict[str | None, int] = {
                lang: n for lang, n in conn.execute(
                    select(reports.c.language, func.count()).group_by(reports.c.language))}
            ents = conn.execute(select(func.count(func.distinct(schema.mentions.c.entity_id)))).scalar_one()
            hits = schema.indicator_hits
            inds: dict[str, int] = {
                ind: n for ind, n in conn.execute(
                    select(hits.c.indicator, func.count(func.distinct(hits.c.report_id))).group_by(hits.c.indicator)
                )}
            n_err = conn.execute(select(func.count()).select_from(errors)).scalar_one()
        return {"reports": sum(langs.values()), "languages": dict(langs), "entities": ents,
                "indicators": dict(inds), "errors": n_err}

    def errors(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(errors).order_by(errors.c.id)).mappings()]

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str) -> Store:
    try:
        return Store(url)
    except OperationalError as exc:  # pragma: no cover - wrapped above
        raise StoreError(str(exc)) from exc
