"""Ingest rates into SQLite and into PostgreSQL, for the same generated reports on the same path.

Documents are parsed for real and given a template's analysis (``generate.template_mapper``), so
the rate is the store's: batches of reports with their mentions, places, dates, quotes, claims and
indicators, seen-keys bookkeeping, duplicates checked per report. PostgreSQL is a server on this
machine (``--pg`` or ``$ESCWATCH_TEST_PG``; a role that may create databases); a fresh database is
made and dropped.

    python -m benchmarks.store_rates [--n 5000] [--pg postgresql://escwatch:escwatch@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks import result_option, save_result
from benchmarks.generate import docs, template_mapper, templates
from escwatch.analyse.context import make_context
from escwatch.config import Settings
from escwatch.engine.local import BATCH, ingest_items
from escwatch.ingest.live import Item
from escwatch.store import open_store

PG = os.environ.get("ESCWATCH_TEST_PG", "postgresql://escwatch:escwatch@127.0.0.1/postgres")


def rate(url: str, n: int, mapper) -> float:  # type: ignore[no-untyped-def]
    store = open_store(url)
    ctx = make_context()
    t0 = time.perf_counter()
    res = ingest_items((Item("", d) for d in docs(n, 80)), store, ctx, batch_size=BATCH, mapper=mapper)
    took = time.perf_counter() - t0
    store.close()
    assert res.new == n, res.as_dict()
    return n / took


def run(n: int, pg: str | None = PG, out=print) -> dict[str, float | None]:  # type: ignore[no-untyped-def]
    mapper = template_mapper(templates(make_context(), words=80))
    folder = Path(tempfile.mkdtemp(prefix="escwatch-rates-"))
    row: dict[str, float | None] = {"reports": n, "sqlite": rate(f"sqlite:///{folder / 'rates.db'}", n, mapper),
                                    "postgresql": None}
    out(f"SQLite (WAL, one file):     {row['sqlite']:8.0f} reports/s")
    if pg:
        admin_url = Settings(db=pg).db_url
        db = f"escwatch_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{db}"'))
        except Exception as exc:  # no server: say so, do not fail the whole run
            out(f"PostgreSQL: skipped ({type(exc).__name__}: {str(exc).splitlines()[0]})")
            return row
        try:
            row["postgresql"] = rate(admin_url.rsplit("/", 1)[0] + "/" + db, n, mapper)
            out(f"PostgreSQL (local server):  {row['postgresql']:8.0f} reports/s")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            admin.dispose()
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--pg", default=PG, help="a PostgreSQL URL whose role may create databases ('' to skip)")
    result_option(ap)
    args = ap.parse_args()
    save_result(args.result, run(args.n, args.pg or None))


if __name__ == "__main__":
    main()
