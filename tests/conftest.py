"""Shared fixtures: fresh stores (SQLite files, or PostgreSQL databases with ``--store postgresql``), one
analysis context per session, a web server on loopback."""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from escwatch.analyse.context import Context, make_context
from escwatch.analyse.pipeline import analyse_report
from escwatch.config import Settings
from escwatch.parse import parse
from escwatch.records import RawDoc, Report
from escwatch.store import Store, open_store
from webserver import Web, serve

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def ctx() -> Context:
    return make_context()


PG_ADMIN = os.environ.get("ESCWATCH_TEST_PG", "postgresql://escwatch:escwatch@127.0.0.1/postgres")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--store", choices=("sqlite", "postgresql"), default=os.environ.get("ESCWATCH_TEST_STORE",
                     "sqlite"), help="run the suite on SQLite files or on PostgreSQL databases ($ESCWATCH_TEST_PG)")


class Stores:
    """Fresh stores for tests, as --db values: SQLite files, or databases on a PostgreSQL server."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind, self.root, self.made = kind, root, []  # type: ignore[var-annotated]
        self.admin = create_engine(Settings(db=PG_ADMIN).db_url, isolation_level="AUTOCOMMIT") \
            if kind == "postgresql" else None

    def _url(self, name: str) -> str:
        return PG_ADMIN.rsplit("/", 1)[0] + "/" + name

    def new(self, name: str = "db") -> str:
        if self.admin is None:
            return str(self.root / f"{name}-{uuid.uuid4().hex[:8]}.db")
        db = f"esc_{name}_{uuid.uuid4().hex[:10]}".lower()
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        self.made.append(db)
        return self._url(db)

    def copy(self, src: str, name: str = "copy") -> str:
        """A private copy of a store (actions in a test change it)."""
        if self.admin is None:
            dst = self.new(name)
            with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
                a.backup(b)
            return dst
        db = f"esc_{name}_{uuid.uuid4().hex[:10]}".lower()
        source = src.rsplit("/", 1)[1]
        with self.admin.connect() as conn:  # a template must have no other sessions
            for attempt in range(100):  # a terminated session takes a moment to leave
                # only our own client sessions: an autovacuum worker on the source (a superuser process, which
                # may not be terminated) finishes by itself, and the retry waits for it
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d "
                                  "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
                                  "AND usename = current_user"), {"d": source})
                try:
                    conn.execute(text(f'CREATE DATABASE "{db}" TEMPLATE "{source}"'))
                    break
                except DBAPIError:
                    if attempt == 99:
                        raise
                    time.sleep(0.1)
        self.made.append(db)
        return self._url(db)

    def close(self) -> None:
        if self.admin is not None:
            with self.admin.connect() as conn:
                for db in self.made:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            self.admin.dispose()


@pytest.fixture(scope="session")
def stores(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    made = Stores(request.config.getoption("--store"), tmp_path_factory.mktemp("stores"))
    yield made
    made.close()


@pytest.fixture()
def db_url(stores: Stores) -> str:
    """A --db value for a fresh, empty store of the kind the suite runs on."""
    return stores.new()


def store_at(db: str) -> Store:
    return open_store(Settings(db=db).db_url)


@pytest.fixture()
def fresh_db(db_url: str) -> Iterator[Store]:
    store = store_at(db_url)
    yield store
    store.close()


@pytest.fixture()
def analyse(ctx: Context):  # type: ignore[no-untyped-def]
    """Analyse a text written in a test: analyse(text, published=..., language=...) -> Report."""

    def run(text: str, published: str | None = "2022-10-05T10:00:00+00:00", **meta: str) -> Report:
        doc = RawDoc("test", "txt", text, {"published": published, **meta} if published else dict(meta))
        return analyse_report(parse(doc), ctx)

    return run


def names(report: Report) -> set[str]:
    return {m.name for m in report.mentions}


NOW = datetime(2022, 10, 5, 10, tzinfo=UTC)


@pytest.fixture()
def web() -> Iterator[Web]:
    """A real HTTP server on 127.0.0.1 serving tests/fixtures/feeds (see tests/webserver.py)."""
    w = Web(FIXTURES / "feeds")
    srv, _ = serve(w)
    yield w
    srv.shutdown()
    srv.server_close()
