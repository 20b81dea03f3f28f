"""kill -9 during ingest, watch, story update and alert delivery (short CI mode of benchmarks/faults.py):
real `escwatch` subprocesses on a real store (SQLite file, or PostgreSQL with --store postgresql)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.faults import PHASES, run, table


def test_kill_minus_9_in_every_phase_loses_and_repeats_nothing(stores: Any, tmp_path: Path) -> None:
    tallies = run(2, lambda name: stores.new(f"faults_{name}"), tmp_path, PHASES, seed=11, jobs=len(PHASES))
    print("\n" + table(tallies))
    assert [t.phase for t in tallies] == list(PHASES)
    for t in tallies:
        assert t.problems == [], f"{t.phase}: {t.problems}"
        assert sum(t.killed_at.values()) == t.rounds == 2
        assert t.recovered == t.rounds and t.lost == 0 and t.duplicated == 0
        assert not any(k.startswith("failed") for k in t.killed_at), t.killed_at
    alerts = {t.phase: t.alerts for t in tallies}
    assert alerts["watch"] > 0 and alerts["alerts"] > 0, "the alert phases must have alerts to deliver"


def test_a_kill_between_grouping_and_refreshing_is_repaired_by_the_next_update(fresh_db: Any, analyse: Any) -> None:
    """What the kills found: reports grouped (signals and story set, committed) whose story summary was never
    written. The next ``update_stories(repair=True)`` (as `escwatch stories`, `ingest` and
    the first watch cycle run it) has no pending report, yet must write those summaries."""
    from sqlalchemy import select

    from escwatch.packs import load_packs
    from escwatch.store.schema import reports, stories
    from escwatch.stories import cluster, embed, stale, update_stories

    texts = [f"Residents of Pskov reportedly filmed a 12th GUMO train moving west, report {i} said." for i in range(3)]
    reps = [analyse(t) for t in texts]
    fresh_db.add_reports(reps)
    with fresh_db.engine.begin() as conn:  # update_stories' grouping transaction, then the "kill"
        for rep, vec in zip(reps, embed.embed([r.text for r in reps]), strict=True):
            cluster.assign(conn, rep, vec)
    with fresh_db.engine.connect() as conn:
        assert cluster.pending(conn) == [] and stale(conn), "the summaries are missing"
        grouped = set(conn.execute(select(reports.c.story)).scalars())
    update_stories(fresh_db, load_packs(()), repair=True)  # as `escwatch stories`, `ingest` and watch start do
    with fresh_db.engine.connect() as conn:
        assert stale(conn) == []
        sizes = dict(conn.execute(select(stories.c.id, stories.c.size)).all())
        members = dict(conn.execute(select(reports.c.story, func.count()).group_by(reports.c.story)).all())
    assert grouped <= set(sizes) and all(sizes[s] == n for s, n in members.items())
