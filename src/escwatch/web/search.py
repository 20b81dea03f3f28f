"""Full-text search over reports (title and text) with filters, facets and pages.

SQLite: an FTS5 table ``reports_fts(report_id UNINDEXED, title, text)``, created on first use and
brought up to date lazily before each search from the reports it does not hold yet (reports are
never edited once stored, only added). It is not made by a migration: a virtual table and its shadow
tables cannot be described in schema.py, which the migrations must match exactly.
PostgreSQL: ``to_tsvector('simple', title || ' ' || text) @@ plainto_tsquery('simple', :q)``.
The query is always a bound parameter; for FTS5 every term is quoted as a phrase, so FTS5 syntax
(NEAR, OR, -, ^, *, column filters) is searched for as words, never interpreted.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Float,
    MetaData,
    String,
    Subquery,
    Table,
    column,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable

from escwatch.records import utc
from escwatch.store import Store
from escwatch.store.schema import indicator_hits, mentions, reports

MAX_TERMS = 32
FACET_LIMIT = 20
FACETS = ("language", "outlet", "indicator", "entity")
SNIPPET_CHARS = 240
_WORD = re.compile(r"\w")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SYNC_LOCK = threading.Lock()

FTS_CREATE = ("CREATE VIRTUAL TABLE IF NOT EXISTS reports_fts USING fts5("
              "report_id UNINDEXED, title, text, tokenize = 'unicode61 remove_diacritics 2')")
FTS_ADD = ("INSERT INTO reports_fts (report_id, title, text) SELECT id, coalesce(title, ''), text FROM reports "
           "WHERE id NOT IN (SELECT report_id FROM reports_fts)")
FTS_DROP = "DELETE FROM reports_fts WHERE report_id NOT IN (SELECT id FROM reports)"
PG_CONFIG = "'simple'::regconfig"


@dataclass(frozen=True)
class Filters:
    q: str = ""
    language: str | None = None
    outlet: str | None = None
    indicator: str | None = None
    entity: str | None = None
    start: date | None = None
    end: date | None = None


def clean(value: str) -> str:
    """Control characters (NUL included) become spaces: neither FTS5 nor PostgreSQL text takes them all."""
    return _CONTROL.sub(" ", value).strip()


def terms(q: str) -> list[str]:
    """The words of a query (tokens with at least one letter or digit), at most MAX_TERMS."""
    return [t for t in clean(q).split() if _WORD.search(t)][:MAX_TERMS]


def fts5_query(words: list[str]) -> str:
    """An FTS5 query that means "all these words": each quoted as a phrase (quotes doubled)."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def sync_fts(conn: Connection) -> None:
    """Create the SQLite FTS5 table if needed and add (drop) the reports it lacks (no longer has)."""
    conn.exec_driver_sql(FTS_CREATE)
    have = conn.exec_driver_sql("SELECT count(*) FROM reports_fts").scalar_one()
    want = conn.execute(select(func.count()).select_from(reports)).scalar_one()
    if have != want:
        conn.exec_driver_sql(FTS_ADD)
        conn.exec_driver_sql(FTS_DROP)


_SYNCED: dict[str, int] = {}  # store URL -> report count the index was last brought up to
_CHECKED: dict[str, str] = {}  # store URL -> data version at which the index was last found up to date


def ensure_index(store: Store, version: str | None = None) -> None:
    """Bring the FTS5 index up to date when the store's report count moved since this process last did
    (counting the FTS table itself is a full scan: it is done only then). With the store's data ``version``
    (see ``escwatch.web.cache``), not even the reports are counted while it stays the same."""
    if store.engine.dialect.name != "sqlite":
        return
    if version is not None and _CHECKED.get(store.url) == version:
        return
    with store.engine.connect() as conn:
        now = conn.execute(select(func.count()).select_from(reports)).scalar_one()
    if _SYNCED.get(store.url) != now:
        with _SYNC_LOCK, store.engine.begin() as conn:
            sync_fts(conn)
        _SYNCED[store.url] = now
        return  # syncing wrote to the store: its version moved, check once more next time
    if version is not None:
        _CHECKED[store.url] = version


def _conditions(f: Filters) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.language:
        conds.append(reports.c.language == f.language)
    if f.outlet:
        conds.append(reports.c.outlet == f.outlet)
    if f.indicator:
        conds.append(reports.c.id.in_(select(indicator_hits.c.report_id).where(
            indicator_hits.c.indicator == f.indicator)))
    if f.entity:
        conds.append(reports.c.id.in_(select(mentions.c.report_id).where(mentions.c.entity_id == f.entity)))
    if f.start:
        conds.append(reports.c.published >= datetime.combine(f.start, time.min, UTC))
    if f.end and f.end < date.max:
        conds.append(reports.c.published < datetime.combine(f.end + timedelta(days=1), time.min, UTC))
    return conds


def _pg_document() -> ColumnElement[Any]:
    return func.to_tsvector(literal_column(PG_CONFIG), func.coalesce(reports.c.title, "") + " " + reports.c.text)


def matched(dialect: str, f: Filters, words: list[str]) -> Subquery:
    """(id, rank) of the matching reports; a lower rank is a better match. On SQLite also their language,
    outlet and published (kept in the temporary table: facets and order then need no report lookups)."""
    conds = _conditions(f)
    more = (reports.c.language, reports.c.outlet, reports.c.published) if dialect == "sqlite" else ()
    if not words:
        return select(reports.c.id, literal_column("0.0", Float).label("rank"), *more).where(*conds).subquery("hits")
    if dialect == "postgresql":
        query = func.plainto_tsquery(literal_column(PG_CONFIG), " ".join(words))
        doc = _pg_document()
        return select(reports.c.id, (-func.ts_rank(doc, query)).label("rank")).where(
            doc.op("@@")(query), *conds).subquery("hits")
    fts = text("SELECT report_id, bm25(reports_fts) AS rank FROM reports_fts WHERE reports_fts MATCH :q").bindparams(
        q=fts5_query(words)).columns(column("report_id", String), column("rank", Float)).subquery("fts")
    return select(reports.c.id, fts.c.rank, *more).join(fts, fts.c.report_id == reports.c.id).where(
        *conds).subquery("hits")


def _facet(conn: Connection, key: Any, report_id: Any, hits: Subquery, limit: int | None = None) -> dict[str, int]:
    n = func.count(func.distinct(report_id))
    query = select(key, n).where(report_id.in_(select(hits.c.id)), key.is_not(None)).group_by(key).order_by(
        n.desc(), key)
    return {str(k): int(v) for k, v in conn.execute(query.limit(limit) if limit else query)}


def _report_facet(conn: Connection, key: Any, hits: Any, limit: int | None = None) -> dict[str, int]:
    """Counts of a column of the reports themselves (hit ids are unique: no DISTINCT)."""
    n = func.count()
    query = select(key, n).where(reports.c.id.in_(select(hits.c.id)), key.is_not(None)).group_by(key).order_by(
        n.desc(), key)
    return {str(k): int(v) for k, v in conn.execute(query.limit(limit) if limit else query)}


# SQLite, over the temporary table of hits: the same queries as the generic ones, written out once (no
# statement is built per search); constant text, the only values (LIMIT, OFFSET) are bound
_IN_HITS = "report_id IN (SELECT id FROM temp.search_hits)"
HITS_FACETS = {
    "language": "SELECT language, count(*) AS n FROM temp.search_hits WHERE language IS NOT NULL "
                "GROUP BY language ORDER BY n DESC, language",
    "outlet": "SELECT outlet, count(*) AS n FROM temp.search_hits WHERE outlet IS NOT NULL "
              f"GROUP BY outlet ORDER BY n DESC, outlet LIMIT {FACET_LIMIT}",
    "indicator": f"SELECT indicator, count(DISTINCT report_id) AS n FROM indicator_hits WHERE {_IN_HITS} "
                 "AND indicator IS NOT NULL GROUP BY indicator ORDER BY n DESC, indicator",
    "entity": f"SELECT entity_id, count(DISTINCT report_id) AS n FROM mentions WHERE {_IN_HITS} "
              f"AND entity_id IS NOT NULL GROUP BY entity_id ORDER BY n DESC, entity_id LIMIT {FACET_LIMIT}"}
HITS_COUNT = "SELECT count(*) FROM temp.search_hits"
HITS_PAGE = "SELECT id FROM temp.search_hits ORDER BY rank, published DESC NULLS LAST, id LIMIT ? OFFSET ?"


def facets(conn: Connection, hits: Any) -> dict[str, dict[str, int]]:
    if hits is _HITS:
        return {k: {str(key): int(n) for key, n in conn.exec_driver_sql(sql)} for k, sql in HITS_FACETS.items()}
    return {"language": _report_facet(conn, reports.c.language, hits),
            "outlet": _report_facet(conn, reports.c.outlet, hits, FACET_LIMIT),
            "indicator": _facet(conn, indicator_hits.c.indicator, indicator_hits.c.report_id, hits),
            "entity": _facet(conn, mentions.c.entity_id, mentions.c.report_id, hits, FACET_LIMIT)}


def excerpt(body: str, words: list[str], width: int = SNIPPET_CHARS) -> str:
    """A plain-text window of ``body`` around the first of ``words`` it contains (else its start)."""
    low = body.casefold()
    at = min((i for i in (low.find(w.casefold()) for w in words) if i >= 0), default=0)
    start = max(0, at - width // 3)
    out = " ".join(body[start:start + width].split())
    return ("…" if start else "") + out + ("…" if start + width < len(body) else "")


def _page_rows(conn: Connection, hits: Any, page: int, size: int) -> list[Any]:
    """The page's rows, best first: ids are ordered and cut first, the texts read only for those."""
    if hits is _HITS:
        ids = list(conn.exec_driver_sql(HITS_PAGE, (size, (page - 1) * size)).scalars())
    else:
        order = select(reports.c.id).join(hits, hits.c.id == reports.c.id).order_by(
            hits.c.rank, reports.c.published.desc().nulls_last(), reports.c.id).limit(size).offset((page - 1) * size)
        ids = list(conn.execute(order).scalars())
    rows = {r.id: r for r in conn.execute(select(
        reports.c.id, reports.c.title, reports.c.outlet, reports.c.language, reports.c.published,
        reports.c.text.label("head")).where(reports.c.id.in_(ids)))}
    return [rows[i] for i in ids]


_HITS = Table("search_hits", MetaData(), Column("id", String(64), primary_key=True), Column("rank", Float),
              Column("language", reports.c.language.type), Column("outlet", reports.c.outlet.type),
              Column("published", reports.c.published.type), prefixes=["TEMPORARY"])
_HITS_DDL = str(CreateTable(_HITS, if_not_exists=True).compile(dialect=sqlite.dialect()))
_HITS_COLUMNS = ["id", "rank", "language", "outlet", "published"]


def _materialise(conn: Connection, hits: Subquery) -> Table:
    """The matching rows (id, rank, language, outlet, published) in a per-connection temporary table,
    filled by one FTS query."""
    conn.exec_driver_sql(_HITS_DDL)
    conn.exec_driver_sql("DELETE FROM temp.search_hits")
    conn.execute(_HITS.insert().from_select(_HITS_COLUMNS, select(*(hits.c[k] for k in _HITS_COLUMNS))))
    return _HITS


def search(store: Store, f: Filters, page: int = 1, size: int = 20, version: str | None = None) -> dict[str, Any]:
    """One page of matching reports (best first; newest first without a query), the total and facets
    (``version``: the store's data version, see ``ensure_index``)."""
    words = terms(f.q)
    if f.q.strip() and not words:  # a query with nothing searchable in it matches nothing
        return {"items": [], "total": 0, "page": page, "size": size, "facets": {k: {} for k in FACETS}}
    dialect = store.engine.dialect.name
    ensure_index(store, version)
    hits: Any = matched(dialect, f, words)
    with store.engine.connect() as conn:
        if dialect == "sqlite":  # match once: count, page and facets then read a small temporary table
            hits = _materialise(conn, hits)
        total = conn.exec_driver_sql(HITS_COUNT).scalar_one() if hits is _HITS else conn.execute(
            select(func.count()).select_from(hits)).scalar_one()
        rows = _page_rows(conn, hits, page, size)
        counts = facets(conn, hits)
    items = [{"id": r.id, "title": r.title, "outlet": r.outlet, "language": r.language,
              "published": p.isoformat() if (p := utc(r.published)) else None,
              "snippet": excerpt(r.head, words)} for r in rows]
    return {"items": items, "total": total, "page": page, "size": size, "facets": counts}
