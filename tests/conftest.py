"""Shared fixtures: a fresh SQLite store per test, one analysis context per session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from escwatch.analyse.context import Context, make_context
from escwatch.analyse.pipeline import analyse_report
from escwatch.parse import parse
from escwatch.records import RawDoc, Report
from escwatch.store import Store, open_store
from webserver import Web, serve

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def ctx() -> Context:
    return make_context()


@pytest.fixture()
def fresh_db(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'test.db'}")
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
