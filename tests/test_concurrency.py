"""Several writers on one store (the suite's kind: a SQLite file in WAL mode, or PostgreSQL): two
ingest processes and two watches over overlapping folders, all grouping stories and the watches
assessing, lose nothing, duplicate nothing, never fail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from conftest import store_at
from escwatch.store.schema import errors, reports, stories, story_signals

TOWNS = ["Tver", "Pskov", "Kursk", "Orel", "Bryansk", "Smolensk", "Vologda"]


def _write(folder: Path, ids: range) -> None:
    folder.mkdir()
    for i in ids:
        (folder / f"item{i:03d}.txt").write_text(
            f"Report {i}: residents of {TOWNS[i % len(TOWNS)]} said {i + 2} army lorries crossed the river "
            f"bridge on night {i}, and the regional governor promised road repairs within {i % 9 + 1} weeks.",
            encoding="utf-8")


def test_two_ingests_and_two_watches_at_once(tmp_path: Path, db_url: str) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    _write(a, range(0, 80))
    _write(b, range(40, 120))
    _write(c, range(60, 140))
    base = [sys.executable, "-m", "escwatch", "--db", db_url]
    runs = [["ingest", str(a)], ["ingest", str(b)], ["watch", "--once", "--folder", str(c)],
            ["watch", "--once", "--folder", str(b)]]
    procs = [subprocess.Popen([*base, *run], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for run in runs]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for p, out in zip(procs, outputs, strict=True):
        assert p.returncode == 0, out
        assert "locked" not in out.lower(), out
    store = store_at(db_url)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(reports)).scalar_one() == 140  # every text once
        assert conn.execute(select(func.count()).select_from(errors)).scalar_one() == 0
        # stories were grouped by one process at a time: each report once, in one live story
        assert conn.execute(select(func.count()).select_from(story_signals)).scalar_one() == 140
        assert conn.execute(select(func.count()).select_from(reports).where(reports.c.story.is_(None))
                            ).scalar_one() == 0
        assert conn.execute(select(func.sum(stories.c.size)).where(stories.c.merged_into.is_(None))
                            ).scalar_one() == 140
    store.close()
