"""Fault injection: kill -9 the escwatch CLI at random points of ingest, watch, story update and alert
delivery, then check that the store stayed consistent and that a clean run finishes the job exactly once.

Each phase has its own store. A round adds new documents (written by the team, from templates below),
starts the phase's command as a real subprocess and kills it with SIGKILL: on odd rounds a random moment
(< 0.5 s) after its first write, on even rounds after a random delay in [0, 1.3 x the time the odd round
before took to that write], so startup, work and the end are all hit. "killed-at" says how much of the
round's work was done at the kill: none, part or all (reports stored, grouped, or alerts delivered), or
whether the process had exited by itself.
After every kill the store must pass the integrity checks: no orphan or duplicated rows, every stored
report has exactly the analysis rows a fresh analysis gives it, and every delivery row is sending, sent or
failed. After the last round one clean run must leave every document stored exactly once, every report in
a story whose summary matches its members, and every alert delivered once to every file channel -- except
the documented case: a kill between appending to the file and marking the delivery sent repeats that
alert once (counted as "resent"; any other repeat is counted as "duplicated").

    python -m benchmarks.faults [--rounds 20] [--phases ingest,watch,stories,alerts] [--store postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from escwatch.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from webserver import Web, serve

PHASES = ("ingest", "watch", "stories", "alerts")
PER_ROUND = 6  # new documents per round (files; the watch phase adds as many feed entries too)
CHANNELS = 6  # file channels the alerts go to
CITIES = ["Kaliningrad", "Pskov", "Belgorod", "Kursk", "Murmansk", "Saratov", "Orenburg", "Tver"]
OUTLETS = ["Reuters", "TASS", "NOS", "Meduza"]
LINES = [
    "Residents of {city} reportedly filmed a 12th GUMO train with guarded wagons moving west on {day}.",
    "Putin warned on {day} that Russia could use nuclear weapons if {city} were attacked, officials said.",
    "Iskander missile launchers were deployed near {city}, the defence ministry said on {day}.",
    "Russian strategic forces began a nuclear exercise near {city} on {day}, according to Reuters.",
    "A new test site near {city} was prepared for a nuclear test, satellite images reportedly showed on {day}.",
]
CHILD_TABLES = ("mentions", "places", "dates", "quotes", "claims", "cited_sources", "indicator_hits")
ORPHANS = {  # rows that must never point at nothing
    **{t: f"select count(*) from {t} where report_id not in (select id from reports)" for t in CHILD_TABLES},
    "story_signals": "select count(*) from story_signals where report_id not in (select id from reports)",
    "lsh_buckets": "select count(*) from lsh_buckets where report_id not in (select id from reports)",
    "feature_index": "select count(*) from feature_index where report_id not in (select id from reports)",
    "alert_deliveries": "select count(*) from alert_deliveries where alert_id not in (select id from alerts)",
    "seen_items": "select count(*) from seen_items where report_id is not null "
                  "and report_id not in (select id from reports)",
    "signals without story": "select count(*) from story_signals s join reports r on r.id = s.report_id "
                             "where r.story is null",
    "lsh without signals": "select count(*) from lsh_buckets where report_id not in "
                           "(select report_id from story_signals)",
}
DUPLICATES = {
    **{t: f"select count(*) - (select count(*) from (select distinct report_id, seq from {t}) d) from {t}"
       for t in CHILD_TABLES},
    "errors": "select count(*) - (select count(*) from (select distinct source, stage, code from errors) d) "
              "from errors",
    "lsh_buckets": "select count(*) - (select count(*) from (select distinct band, report_id from lsh_buckets) d) "
                   "from lsh_buckets",
    "feature_index": "select count(*) - (select count(*) from (select distinct feature, report_id "
                     "from feature_index) d) from feature_index",
}


# -- documents ------------------------------------------------------------------------------------------------

def doc_text(n: int, now: datetime) -> tuple[str, str]:
    """(text, ISO day) of document number ``n``: one indicator sentence and a line that makes it unique."""
    city, day = CITIES[n % len(CITIES)], (now - timedelta(days=n % 3)).date()
    body = LINES[n % len(LINES)].format(city=city, day=day.strftime("%d %B %Y"))
    return (f"{body} Local reporter number {n} added that traffic on road {n * 7 % 97} was closed for "
            f"{n % 11 + 2} hours."), day.isoformat()


def write_docs(inbox: Path, start: int, k: int, now: datetime) -> list[Path]:
    """``k`` JSON report files numbered from ``start``."""
    inbox.mkdir(parents=True, exist_ok=True)
    out = []
    for n in range(start, start + k):
        body, day = doc_text(n, now)
        path = inbox / f"r{n:04d}.json"
        path.write_text(json.dumps({"text": body, "title": f"Report {n}", "published": day,
                                    "outlet": OUTLETS[n % len(OUTLETS)]}), encoding="utf-8")
        out.append(path)
    return out


def feed_xml(n_entries: int, now: datetime) -> bytes:
    """An RSS feed of ``n_entries`` entries (guids, no links: the entry text is the report)."""
    items = []
    for i in range(n_entries):
        body, day = doc_text(5000 + i, now)
        items.append(f"<item><guid isPermaLink=\"false\">w{i}</guid><title>Wire {i}</title>"
                     f"<pubDate>{datetime.fromisoformat(day).strftime('%a, %d %b %Y 09:00:00 GMT')}</pubDate>"
                     f"<description>{body}</description></item>")
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{"".join(items)}' \
           f'</channel></rss>'.encode()


# -- expected analysis, computed in this process ----------------------------------------------------------------

Rows = dict[str, dict[str, int]]  # report id -> rows per analysis table


class Expect:
    """What a clean run stores, from a fresh parse and analysis in this process (one pack and model load,
    shared by the phases; a lock keeps them to one analysis at a time)."""

    def __init__(self) -> None:
        from escwatch.analyse.context import make_context

        self.ctx = make_context()
        self.lock = threading.Lock()

    def analyse(self, docs: list[Any]) -> list[Any]:
        from escwatch.analyse.pipeline import analyse_report
        from escwatch.parse import parse

        with self.lock:
            return [analyse_report(parse(doc), self.ctx) for doc in docs]

    def files(self, paths: list[Path]) -> list[Any]:
        from escwatch.ingest.files import read_file

        return self.analyse([d for p in paths for d in read_file(p)])

    def feed(self, data: bytes, url: str, skip: int) -> list[Any]:
        from escwatch.ingest.feeds import entry_doc, parse_feed

        feed = parse_feed(data, url)
        return self.analyse([d for e in feed.entries[skip:] for d in entry_doc(feed, e, None)])


def rows_of(reports: list[Any]) -> Rows:
    return {r.id: {"mentions": len(r.mentions), "places": len(r.places), "dates": len(r.dates),
                   "quotes": len(r.quotes), "claims": len(r.claims), "cited_sources": len(r.cited_sources),
                   "indicator_hits": len(r.indicators)} for r in reports}


# -- checks ------------------------------------------------------------------------------------------------------

def scalar(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one() or 0)


def integrity(engine: Engine, expect: Rows) -> list[str]:
    """Problems in the store as a crash left it (empty list: consistent)."""
    if not tables_exist(engine):
        return []
    bad = [f"{n} orphan rows in {t}" for t, sql in ORPHANS.items() if (n := scalar(engine, sql))]
    bad += [f"{n} duplicated rows in {t}" for t, sql in DUPLICATES.items() if (n := scalar(engine, sql))]
    with engine.connect() as conn:
        ids = list(conn.execute(text("select id from reports")).scalars())
        counts: dict[str, dict[str, int]] = {t: dict(conn.execute(text(
            f"select report_id, count(*) from {t} group by report_id")).all()) for t in CHILD_TABLES}
        states = set(conn.execute(text("select distinct status from alert_deliveries")).scalars())
    for rid in ids:
        want = expect.get(rid)
        if want is None:
            bad.append(f"report {rid[:10]} is not one of the documents")
            continue
        got = {t: counts[t].get(rid, 0) for t in CHILD_TABLES}
        if got != want:
            bad.append(f"report {rid[:10]} has analysis rows {got}, a fresh analysis gives {want}")
    if states - {"sending", "sent", "failed"}:
        bad.append(f"delivery states {sorted(states)}")
    return bad


def leftovers(engine: Engine) -> bool:
    """Whether a kill left work for the next run: reports without a story, or stale story summaries."""
    from escwatch.stories import stale
    from escwatch.stories.cluster import pending

    if not tables_exist(engine):
        return False
    with engine.connect() as conn:
        return bool(pending(conn) or stale(conn))


def tables_exist(engine: Engine) -> bool:
    try:
        scalar(engine, "select count(*) from alert_deliveries")
        return True
    except Exception:  # a store killed before its first migration finished
        return False


def final_problems(engine: Engine, expect: Rows) -> tuple[list[str], int]:
    """After the clean run: (problems, documents lost)."""
    with engine.connect() as conn:
        ids = set(conn.execute(text("select id from reports")).scalars())
        sizes: dict[str, int] = dict(conn.execute(text(
            "select id, size from stories where merged_into is null")).all())
        members: dict[str | None, int] = dict(conn.execute(text(
            "select story, count(*) from reports group by story")).all())
    lost = len(set(expect) - ids)
    bad = integrity(engine, expect)
    bad += [f"{lost} documents not stored"] if lost else []
    if n := scalar(engine, "select count(*) from errors"):
        bad.append(f"{n} error rows")
    if n := scalar(engine, "select count(*) from reports r left join story_signals s on s.report_id = r.id "
                           "where s.report_id is null or r.story is null"):
        bad.append(f"{n} reports without a story")
    wrong = {s: (n, sizes.get(s)) for s, n in members.items() if s is not None and sizes.get(s) != n}
    if wrong:
        bad.append(f"{len(wrong)} stories whose summary misses members (members, size): {list(wrong.items())[:3]}")
    return bad, lost


# -- alert channels ----------------------------------------------------------------------------------------------

def write_config(path: Path, out: Path) -> None:
    """File channels (and the default rules)."""
    path.write_text("".join(f'[[alerts.channels]]\nname = "f{i}"\nkind = "file"\npath = "{out}/f{i}.jsonl"\n\n'
                            for i in range(CHANNELS)), encoding="utf-8")


def lines_per_alert(out: Path) -> dict[tuple[str, str], int]:
    """(alert id, channel) -> lines in that channel's file."""
    got: Counter[tuple[str, str]] = Counter()
    for i in range(CHANNELS):
        f = out / f"f{i}.jsonl"
        if f.exists():
            for line in f.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    got[(json.loads(line)["id"], f"f{i}")] += 1
    return dict(got)


Deliveries = dict[tuple[str, str], int]  # (alert id, channel) -> lines


def sent_not_marked(engine: Engine, out: Path) -> Deliveries:
    """Deliveries a kill left in 'sending' although their line is in the file, with the lines there: each
    of those lines was written by a run killed before it could mark the delivery, and it will be sent again."""
    if not tables_exist(engine):
        return {}
    with engine.connect() as conn:
        sending = {(a, c) for a, c in conn.execute(text(
            "select alert_id, channel from alert_deliveries where status = 'sending'")).all()}
    return {k: n for k, n in lines_per_alert(out).items() if k in sending}


def alert_tally(engine: Engine, out: Path, resendable: Deliveries) -> tuple[int, int, int, list[str]]:
    """(lost, resent, duplicated, problems) of the file channels after the clean run. A repeat is
    "resent" (documented) up to the lines a kill left behind in 'sending', else "duplicated"."""
    lines = lines_per_alert(out)
    with engine.connect() as conn:
        alert_ids = list(conn.execute(text("select id from alerts")).scalars())
        status = {(a, c): s for a, c, s in conn.execute(text(
            "select alert_id, channel, status from alert_deliveries")).all()}
    lost = resent = dup = 0
    odd: list[str] = []
    for aid in alert_ids:
        for i in range(CHANNELS):
            key = (aid, f"f{i}")
            n = lines.get(key, 0)
            lost += n == 0 or status.get(key) != "sent"
            allowed = min(n - 1, resendable.get(key, 0)) if n > 1 else 0
            resent += allowed
            if n - 1 > allowed:
                dup += n - 1 - allowed
                odd.append(f"{aid[:10]}/{key[1]}: {n} lines, {resendable.get(key, 0)} left in 'sending'")
    bad = [f"{lost} (alert, channel) deliveries missing"] if lost else []
    bad += [f"{dup} alert lines repeated outside the send-then-crash case: {odd[:5]}"] if dup else []
    return lost, resent, dup, bad


# -- one phase ---------------------------------------------------------------------------------------------------

@dataclass
class Tally:
    phase: str
    rounds: int = 0
    killed_at: Counter[str] = field(default_factory=Counter)  # none | part | all | exited
    delays: list[float] = field(default_factory=list)
    recovered: int = 0  # rounds after whose kill the store passed every integrity check
    lost: int = 0
    duplicated: int = 0
    resent: int = 0  # alerts delivered again after a kill between sending and marking (documented)
    alerts: int = 0
    left_undone: int = 0  # rounds whose kill left reports ungrouped or story summaries stale (for the next run)
    problems: list[str] = field(default_factory=list)

    def row(self) -> list[str]:
        where = " ".join(f"{k}:{v}" for k, v in sorted(self.killed_at.items()))
        span = f"{min(self.delays):.1f}-{max(self.delays):.1f}s" if self.delays else "-"
        return [self.phase, str(self.rounds), f"{where} ({span})", f"{self.recovered}/{self.rounds}", str(self.lost),
                str(self.duplicated), str(self.resent), str(self.left_undone), str(self.alerts)]


@dataclass
class Lab:
    """One phase's store, inbox, alert files and the state the checks need."""

    phase: str
    db: str
    root: Path
    expect: Expect
    rng: random.Random
    rows: Rows = field(default_factory=dict)  # what the documents so far should give
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    next_doc: int = 0
    feed_entries: int = 0
    clean_seconds: float = 8.0  # duration of the last run that ended by itself
    resendable: Deliveries = field(default_factory=dict)
    web: Web | None = None

    def __post_init__(self) -> None:
        self.inbox, self.out, self.config = self.root / "inbox", self.root / "alerts", self.root / "escwatch.toml"
        self.out.mkdir(parents=True, exist_ok=True)
        write_config(self.config, self.out)
        self.engine = create_engine(Settings(db=self.db).db_url)

    def cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "escwatch", "--db", self.db, "--config", str(self.config), *args]

    def command(self, final: bool = False) -> list[str]:
        if self.phase == "ingest":
            return self.cli("ingest", str(self.inbox))
        if self.phase == "watch":
            assert self.web is not None
            return self.cli("watch", "--folder", str(self.inbox), "--feed", self.web.url("/wire.xml"),
                            "--allow-private", "--interval", "0.3", *(["--once"] if final else []))
        if self.phase == "stories":
            return self.cli("stories", "--json")
        return self.cli("alerts", "--json")

    def progress(self, ids: set[str]) -> int:
        """This round's work done so far: its reports stored (ingest, watch), grouped (stories) or deliveries
        marked (alerts)."""
        if not tables_exist(self.engine):
            return 0
        if self.phase == "alerts":
            return scalar(self.engine, "select count(*) from alert_deliveries where status = 'sent'")
        table = "story_signals" if self.phase == "stories" else "reports"
        col = "report_id" if table == "story_signals" else "id"
        with self.engine.connect() as conn:
            have = set(conn.execute(text(f"select {col} from {table}")).scalars())
        return len(have & ids)

    def prepare(self) -> tuple[set[str], int]:
        """New documents for a round; returns (their report ids, progress target)."""
        paths = write_docs(self.inbox, self.next_doc, PER_ROUND, self.now)
        self.next_doc += PER_ROUND
        new = self.expect.files(paths)
        if self.phase == "watch":
            assert self.web is not None
            data = feed_xml(self.feed_entries + PER_ROUND, self.now)
            new += self.expect.feed(data, self.web.url("/wire.xml"), self.feed_entries)
            self.web.files["/wire.xml"] = data
            self.feed_entries += PER_ROUND
        self.rows.update(rows_of(new))
        ids = {r.id for r in new}
        if self.phase in ("stories", "alerts"):  # stored beforehand, in this process: the kill hits the phase
            self.store_in_process(new, stories=self.phase == "alerts")
        return ids, len(ids)

    def store_in_process(self, reports: list[Any], stories: bool) -> None:
        """The analysed reports stored (and grouped into stories) as `escwatch ingest` would."""
        from escwatch.store import open_store
        from escwatch.stories import update_stories

        store = open_store(Settings(db=self.db).db_url)
        try:
            store.add_reports(reports)
            if stories:
                with self.expect.lock:
                    update_stories(store, self.expect.ctx.pack)
        finally:
            store.close()

    def kill_round(self, n: int, tally: Tally) -> None:
        ids, target = self.prepare()
        start = self.progress(ids)
        proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        began = time.monotonic()
        if n % 2 == 0:
            delay = self.rng.uniform(0.0, self.clean_seconds)
            while time.monotonic() - began < delay and proc.poll() is None:
                time.sleep(0.02)
        else:  # a random moment after the first write of this round
            while self.progress(ids) == start and proc.poll() is None and time.monotonic() - began < 300:
                time.sleep(0.02)
            self.clean_seconds = (time.monotonic() - began) * 1.3  # even rounds: startup and work, at random
            time.sleep(self.rng.uniform(0.0, 0.5))
        tally.delays.append(time.monotonic() - began)
        tally.killed_at[self.stop(proc, began, ids, start, target)] += 1
        for key, n in sent_not_marked(self.engine, self.out).items():
            self.resendable[key] = max(n, self.resendable.get(key, 0))
        tally.left_undone += leftovers(self.engine)
        bad = integrity(self.engine, self.rows)
        tally.recovered += not bad
        tally.problems += [f"round {n}: {b}" for b in bad]

    def stop(self, proc: subprocess.Popen[str], began: float, ids: set[str], start: int, target: int) -> str:
        """Kill -9 (unless it ended by itself); where the kill landed."""
        if proc.poll() is not None:
            self.clean_seconds = time.monotonic() - began
            _, err = proc.communicate()
            ok = proc.returncode == 0 and self.phase != "watch"  # watch only ends when killed
            return "exited" if ok else f"failed {proc.returncode}: {err[-200:]}"
        done = self.progress(ids) - start
        proc.kill()
        proc.wait(30)
        if self.phase == "alerts":  # every recorded alert sent to every channel, or not yet
            target = start + scalar(self.engine, "select count(*) from alerts") * CHANNELS - \
                scalar(self.engine, "select count(*) from alert_deliveries where status = 'sent'") + done
        return "none" if done <= 0 else ("all" if done >= target - start else "part")

    def final(self, tally: Tally) -> None:
        """One clean run (plus `escwatch stories` after ingest --no-stories), then the final checks."""
        runs = [self.command(final=True)]
        for cmd in runs:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            if done.returncode not in (0,):
                tally.problems.append(f"clean run {' '.join(cmd[3:6])} exited {done.returncode}: "
                                      f"{(done.stderr or done.stdout)[-300:]}")
        bad, tally.lost = final_problems(self.engine, self.rows)
        tally.problems += [f"final: {b}" for b in bad]
        if self.phase in ("watch", "alerts"):
            lost, tally.resent, tally.duplicated, more = alert_tally(self.engine, self.out, self.resendable)
            tally.lost += lost
            tally.problems += [f"final: {b}" for b in more]
            tally.alerts = scalar(self.engine, "select count(*) from alerts")
        tally.duplicated += sum(scalar(self.engine, sql) for sql in DUPLICATES.values())


@contextmanager
def maybe_web(phase: str) -> Iterator[Web | None]:
    if phase != "watch":
        yield None
        return
    web = Web(Path(tempfile.gettempdir()))
    srv, _ = serve(web)
    try:
        yield web
    finally:
        srv.shutdown()
        srv.server_close()


def run_phase(phase: str, rounds: int, db: str, root: Path, expect: Expect, seed: int) -> Tally:
    tally = Tally(phase, rounds)
    with maybe_web(phase) as web:
        lab = Lab(phase, db, root / phase, expect, random.Random(seed), web=web)
        try:
            for n in range(rounds):
                lab.kill_round(n, tally)
            lab.final(tally)
        finally:
            lab.engine.dispose()
    return tally


def run(rounds: int, new_db: Callable[[str], str], root: Path, phases: tuple[str, ...] = PHASES,
        seed: int = 7, jobs: int = 1) -> list[Tally]:
    """Every phase on its own fresh store (``new_db(name)`` gives a --db value); ``jobs`` phases at once."""
    from escwatch.store import open_store

    expect = Expect()
    dbs = [new_db(p) for p in phases]
    for p, db in zip(phases, dbs, strict=True):
        if p in ("stories", "alerts"):  # opened in this process too: migrate first (Alembic is not thread-safe)
            open_store(Settings(db=db).db_url).close()
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        futures = [pool.submit(run_phase, p, rounds, db, root, expect, seed + i)
                   for i, (p, db) in enumerate(zip(phases, dbs, strict=True))]
        return [f.result() for f in futures]


def table(tallies: list[Tally]) -> str:
    head = ["phase", "rounds", "killed-at (delays)", "recovered", "lost", "duplicated", "resent", "left undone",
            "alerts"]
    rows = [head, *(t.row() for t in tallies)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


# -- command line ------------------------------------------------------------------------------------------------

@contextmanager
def databases(kind: str, root: Path, admin_url: str) -> Iterator[Callable[[str], str]]:
    """Fresh stores: SQLite files under ``root``, or PostgreSQL databases dropped afterwards."""
    if kind == "sqlite":
        yield lambda name: str(root / f"{name}.db")
        return
    admin = create_engine(Settings(db=admin_url).db_url, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def new(name: str) -> str:
        db = f"esc_faults_{name}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        made.append(db)
        return admin_url.rsplit("/", 1)[0] + "/" + db

    try:
        yield new
    finally:
        with admin.connect() as conn:
            for db in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--phases", default=",".join(PHASES))
    ap.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--pg", default=os.environ.get("ESCWATCH_TEST_PG",
                                                   "postgresql://escwatch:escwatch@127.0.0.1/postgres"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--jobs", type=int, default=1, help="phases run at the same time")
    ap.add_argument("--json", action="store_true", help="print the tallies as JSON too")
    args = ap.parse_args(argv)
    phases = tuple(p for p in args.phases.split(",") if p)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="escwatch-faults-") as tmp, \
            databases(args.store, Path(tmp), args.pg) as new_db:
        tallies = run(args.rounds, new_db, Path(tmp), phases, args.seed, args.jobs)
    print(table(tallies))
    for t in tallies:
        for p in t.problems:
            print(f"{t.phase}: {p}")
    print(f"{args.store}, {time.monotonic() - started:.0f} s")
    if args.json:
        print(json.dumps([{**t.__dict__, "killed_at": dict(t.killed_at)} for t in tallies], default=str))
    return 1 if any(t.problems for t in tallies) else 0


if __name__ == "__main__":
    sys.exit(main())
