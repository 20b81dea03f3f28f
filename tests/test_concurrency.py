"""Several writers on one store (the suite's kind: a SQLite file in WAL mode, or PostgreSQL): two
ingest processes and a watch over overlapping folders lose nothing, duplicate nothing, never fail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from conftest import store_at
from escwatch.store.schema import errors, reports

TOWNS = ["Tver", "Pskov", "Kursk", "Orel", "Bryansk", "Smolensk", "Vologda"]


def _write(folder: Path, ids: range) -> None:
    folder.mkdir()
    for i in ids:
        (folder / f"item{i:03d}.txt").write_text(
            f"Report {i}: residents of {TOWNS[i % len(TOWNS)]} said {i + 2} army lorries crossed the river "
            f"bridge on night {i}, and the regional governor promised road repairs within {i % 9 + 1} weeks.",
            encoding="utf-8")


def test_two_ingests_and_a_watch_at_once(tmp_path: Path, db_url: str) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    _write(a, range(0, 80))
    _write(b, range(40, 120))
    _write(c, range(60, 140))
    base = [sys.executable, "-m", "escwatch", "--db", db_url]
    procs = [subprocess.Popen([*base, "ingest", str(a), "--no-stories"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True),
             subprocess.Popen([*base, "ingest", str(b), "--no-stories"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True),
             subprocess.Popen([*base, "watch", "--once", "--folder", str(c)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for p, out in zip(procs, outputs, strict=True):
        assert p.returncode == 0, out
        assert "locked" not in out.lower(), out
    store = store_at(db_url)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(reports)).scalar_one() == 140  # every text once
        assert conn.execute(select(func.count()).select_from(errors)).scalar_one() == 0
    store.close()
