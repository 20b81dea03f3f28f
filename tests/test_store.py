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


def test_a_store_made_by_an_older_version_opens_after_upgrade(db_url, ctx, analyse) -> None:  # type: ignore[no-untyped-def]
    """A store left at the first schema (0001) with a report in it: `escwatch db upgrade` brings it to
    head, the old report reads back with its analysis, and new reports go in beside it."""
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, text
    from typer.testing import CliRunner

    from escwatch.cli import app
    from escwatch.config import Settings

    url = Settings(db=db_url).db_url
    engine = create_engine(url)
    migrate.upgrade(engine, "0001")
    rep = analyse("Poetin zei dinsdag in Moskou dat de NAVO volgens The Times een kernproef voorbereidt.")
    with engine.begin() as conn:  # written as the first version wrote it: only 0001's columns
        conn.execute(text("INSERT INTO reports (id, source, language, raw_text, text, ingested_at) "
                          "VALUES (:id, 'old.txt', :lang, :raw, :text, :at)"),
                     {"id": rep.id, "lang": rep.language, "raw": rep.raw_text, "text": rep.text,
                      "at": datetime(2023, 1, 5, tzinfo=UTC)})
        for seq, m in enumerate(rep.mentions):
            conn.execute(text("INSERT INTO mentions (report_id, seq, entity_id, name, type, wikidata, description, "
                              'text, start, "end") VALUES (:r, :s, :e, :n, :t, :w, :d, :x, :a, :b)'),
                         {"r": rep.id, "s": seq, "e": m.entity_id, "n": m.name, "t": m.type, "w": m.wikidata,
                          "d": m.description, "x": m.text, "a": m.start, "b": m.end})
    engine.dispose()
    assert migrate.current(create_engine(url)) == "0001"

    res = CliRunner().invoke(app, ["--db", db_url, "db", "upgrade"])
    assert res.exit_code == 0, res.output
    store = open_store(url)
    assert migrate.current(store.engine) == migrate.head()
    old = store.get_report(rep.id)
    assert old.text == rep.text and old.mentions == rep.mentions and old.links == ()
    assert store.add_report(analyse("The Times reported a second train near Kursk.")) is True
    assert store.counts()["reports"] == 2
    store.close()
