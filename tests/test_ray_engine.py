"""The Ray engine gives exactly what the local engine gives: same reports, same analysis, same errors,
same counts, in the same order, on the store the suite runs on (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import FIXTURES, store_at
from escwatch.analyse.context import Context
from escwatch.engine import ingest_docs
from escwatch.engine.local import ingest_items
from escwatch.engine.ray_engine import RayEngine
from escwatch.ingest.files import read_file
from escwatch.ingest.live import Item
from escwatch.records import ErrorRecord, RawDoc
from escwatch.store import Store, open_store

CORPUS = sorted((FIXTURES / "corpus").glob("reports_*.jsonl"))


def documents() -> list[RawDoc | ErrorRecord]:
    """The team's corpus, a copy of one report under another name, an empty and an HTML document."""
    docs = [d for f in CORPUS for d in read_file(f)]
    first = next(d for d in docs if isinstance(d, RawDoc))
    html = ("<html><head><title>Trein gezien</title></head><body><article><p>Een trein van het 12e "
            "Hoofddirectoraat is volgens The Telegraph gefilmd bij Sergiev Posad.</p></article></body></html>")
    return [*docs, RawDoc("copy/of-first.txt", first.kind, first.content, dict(first.meta)),
            RawDoc("empty.txt", "txt", "   \n"), RawDoc("page.html", "html", html)]


def snapshot(store: Store) -> tuple[list[object], list[tuple[str, str, str, str]]]:
    reps = sorted(store.iter_reports(), key=lambda r: r.id)
    errs = sorted((e["source"], e["stage"], e["code"], e["message"]) for e in store.errors())
    return reps, errs


@pytest.fixture(scope="module")
def engine() -> Iterator[RayEngine]:
    with RayEngine(workers=2, batch=4) as eng:
        yield eng


class DriverWrites:
    """Counts the reports this process writes to a store (the workers' writes go through their own)."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reports = 0
        add = store.add_reports

        def counted(batch, *args, **kwargs):  # type: ignore[no-untyped-def]
            batch = list(batch)
            self.reports += len(batch)
            return add(batch, *args, **kwargs)

        monkeypatch.setattr(store, "add_reports", counted)


@pytest.mark.parametrize("workers_store", [True, False], ids=["workers-store", "driver-stores"])
def test_ray_engine_equals_local_engine(engine: RayEngine, ctx: Context, stores, workers_store: bool,  # type: ignore[no-untyped-def]
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether the workers store their batches (a store they reach) or the driver stores what they
    analysed (a store out of their reach, e.g. a SQLite file with a remote cluster), the store is the
    local engine's."""
    local, remote = store_at(stores.new("local")), store_at(stores.new("ray"))
    assert engine.reaches(remote)
    if not workers_store:
        monkeypatch.setattr(engine, "reaches", lambda _store: False)
    driver = DriverWrites(remote, monkeypatch)
    a = ingest_docs(documents(), local, ctx)
    b = ingest_docs(documents(), remote, ctx, mapper=engine)
    assert (driver.reports == 0) == workers_store and (driver.reports == b.new) != workers_store

    assert a.new >= len(CORPUS) * 10 and a.duplicate >= 1 and a.failed == 1
    assert (b.new, b.duplicate, b.failed) == (a.new, a.duplicate, a.failed)
    assert b.new_ids == a.new_ids  # the same order
    assert snapshot(remote) == snapshot(local)
    # the work really ran elsewhere: two worker processes, neither of them this one
    assert len(set(engine.pids)) == 2 and os.getpid() not in engine.pids

    again = ingest_docs(documents(), remote, ctx, mapper=engine)  # re-running adds nothing
    assert again.new == 0 and again.duplicate == a.new + a.duplicate
    assert snapshot(remote) == snapshot(local)
    local.close()
    remote.close()


def test_which_stores_the_workers_reach(tmp_path: Path) -> None:
    here, cluster = RayEngine(), RayEngine(address="ray://head:10001")
    sqlite_file = store_at(str(tmp_path / "x.db"))
    assert here.reaches(sqlite_file) and not cluster.reaches(sqlite_file)  # a file on this machine
    memory = open_store("sqlite://")
    assert not here.reaches(memory)  # this process's own database
    memory.close()
    sqlite_file.close()


def test_stop_and_progress_on_workers(engine: RayEngine, ctx: Context, stores) -> None:  # type: ignore[no-untyped-def]
    """A stop asked for while workers store finishes the batches in flight and loses nothing: every item
    reported through ``progress`` is stored and marked seen, no other is, and the next run does the rest."""
    store = store_at(stores.new("stop"))
    items = [Item(f"k{i}", RawDoc(f"gen/{i}.txt", "txt", f"Report {i}: a convoy was filmed near Kursk."))
             for i in range(60)]
    done: list[str] = []
    first = ingest_items(iter(items), store, ctx, progress=lambda it: done.append(it.key),
                         stop=lambda: len(done) >= 1, mapper=engine)
    assert 0 < first.new == len(done) < len(items)
    assert store.seen(it.key for it in items) == set(done)
    assert store.counts()["reports"] == first.new
    rest = ingest_items(iter(items), store, ctx, mapper=engine)
    assert rest.new == len(items) - first.new and rest.duplicate == first.new
    assert store.counts()["reports"] == len(items)
    store.close()


def test_back_pressure_keeps_the_window(engine: RayEngine, ctx: Context) -> None:
    """Reading is held back: at most window × workers batches are in flight ahead of the consumer."""
    pulled = 0

    def items() -> Iterator[object]:
        nonlocal pulled
        from escwatch.ingest.live import Item

        for i in range(200):
            pulled += 1
            yield Item(f"k{i}", RawDoc(f"gen/{i}.txt", "txt", f"Report number {i} about a convoy near Kursk."))

    run = engine(items(), lambda _rid: False)  # type: ignore[arg-type]
    first = next(run)
    ahead = engine.window * len(engine.actors) * engine.batch
    assert first[0].key == "k0" and pulled <= ahead + engine.batch
    rest = list(run)
    assert [it.key for it, _ in rest] == [f"k{i}" for i in range(1, 200)] and pulled == 200


def test_cli_ingest_with_ray(tmp_path: Path, stores) -> None:  # type: ignore[no-untyped-def]
    db_local, db_ray = stores.new("clilocal"), stores.new("cliray")
    folder = tmp_path / "in"
    folder.mkdir()
    for f in CORPUS[:1]:
        (folder / f.name).write_bytes(f.read_bytes())

    def run(*args: str) -> dict:  # type: ignore[type-arg]
        res = subprocess.run([sys.executable, "-m", "escwatch", *args], capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)

    a = run("--db", db_local, "ingest", str(folder), "--no-stories", "--json")
    b = run("--db", db_ray, "ingest", str(folder), "--no-stories", "--json", "--engine", "ray", "--workers", "2")
    assert b["new"] == a["new"] > 5 and b["new_ids"] == a["new_ids"]
    assert snapshot(store_at(db_ray)) == snapshot(store_at(db_local))

    bad = subprocess.run([sys.executable, "-m", "escwatch", "--db", db_local, "ingest", str(folder), "--workers", "2"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "--engine ray" in bad.stderr
