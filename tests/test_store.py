from pathlib import Path

import pytest
from sqlalchemy import func, select

from escwatch.engine import ingest_docs
from escwatch.errors import NotFoundError
from escwatch.ingest.files import expand, read_file
from escwatch.records import ErrorRecord
from escwatch.store import migrate, open_store, schema

FIX = Path(__file__).parent / "fixtures" / "reports"


def _ingest(store, ctx):  # type: ignore[no-untyped-def]
    docs = (d for f in expand([FIX]) for d in read_file(f))
    return ingest_docs(docs, store, ctx)


def _row_counts(store) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in schema.metadata.sorted_tables}


def test_round_trip_keeps_every_record(fresh_db, ctx, analyse) -> None:  # type: ignore[no-untyped-def]
    rep = analyse((FIX / "nl_trein.txt").read_text(encoding="utf-8"))
    assert fresh_db.add_report(rep) is True
    back = fresh_db.get_report(rep.id[:12])
    assert back == rep


def test_ingest_twice_is_idempotent(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    first = _ingest(fresh_db, ctx)
    assert first.new == 5 and first.failed == 0
    before = _row_counts(fresh_db)
    second = _ingest(fresh_db, ctx)
    assert second.new == 0 and second.duplicate == 5
    assert _row_counts(fresh_db) == before


def test_errors_are_recorded_once(fresh_db) -> None:  # type: ignore[no-untyped-def]
    err = ErrorRecord("bad.txt", "ingest", "E102", "binary")
    assert fresh_db.add_error(err) is True
    assert fresh_db.add_error(err) is False
    assert [e["code"] for e in fresh_db.errors()] == ["E102"]


def test_unknown_id(fresh_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        fresh_db.get_report("ffff")


def test_migrations_reach_head_and_reopen(db_url) -> None:  # type: ignore[no-untyped-def]
    from escwatch.config import Settings

    url = Settings(db=db_url).db_url
    store = open_store(url)
    assert migrate.current(store.engine) == migrate.head()
    store.close()
    again = open_store(url)  # opening an up-to-date store runs no migration and loses nothing
    assert migrate.current(again.engine) == migrate.head()


def test_migrations_match_the_schema(db_url) -> None:  # type: ignore[no-untyped-def]
    """The Alembic migrations build exactly the tables, columns and indexes of schema.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from escwatch.config import Settings
    from escwatch.store import open_store
    from escwatch.store.schema import metadata

    store = open_store(Settings(db=db_url).db_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    store.close()
    assert [d for d in diff if d[0] not in ("modify_nullable",)] == []
