"""The escwatch command line: a thin layer over the library (`escwatch --help`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from escwatch.config import Settings, load_settings, shown
from escwatch.errors import EscwatchError

app = typer.Typer(help="escwatch — Escalation Watch: nuclear signalling in open sources, explained.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]


class State:
    settings: Settings = Settings()


def _store():
    from escwatch.store import open_store

    return open_store(State.settings.db_url)


def _context():
    from escwatch.analyse.context import make_context

    return make_context(State.settings.packs)


def _emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@app.callback()
def main_options(
    db: Annotated[str | None, typer.Option("--db", help="store: a SQLite path or a database URL "
                                           "[default: ./escwatch.db or $ESCWATCH_DB]")] = None,
    pack: Annotated[list[str] | None, typer.Option("--pack", help="extra pack folder (repeatable)")] = None,
    config: Annotated[str | None, typer.Option("--config", help="config file [default: ./escwatch.toml]")] = None,
) -> None:
    State.settings = load_settings(db=db, packs=tuple(pack or ()), config=config)


@contextmanager
def engine_for(kind: str, address: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """The mapper for ``ingest_items``: None for the local engine, a started RayEngine for ``ray``."""
    if kind == "local":
        if address or workers:
            raise EscwatchError("--ray-address and --workers go with --engine ray")
        yield None
        return
    from escwatch.engine.ray_engine import RayEngine

    engine = RayEngine(State.settings.packs, address=address, workers=workers)
    with console.status("starting Ray workers (each loads the packs and models once)"):
        engine.start()
    try:
        yield engine
    finally:
        engine.close()


def run_ingest(paths: list[Path], quiet: bool = False, mapper: Any = None) -> dict[str, Any]:
    """Ingest files/folders into the store with a progress bar; returns the counts."""
    from escwatch.engine import ingest_docs
    from escwatch.ingest.files import expand, read_file

    files = expand(paths)
    missing = [p for p in files if not p.exists()]
    store, ctx = _store(), _context()
    _ = ctx.gazetteer  # load models before the bar starts
    with Progress(TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=console, disable=quiet, transient=False) as bar:
        task = bar.add_task("", total=len(files))

        def docs():
            for f in files:
                bar.update(task, description=f.name[-40:])
                yield from read_file(f, State.settings.max_bytes)
                bar.advance(task)

        result = ingest_docs(docs(), store, ctx, mapper=mapper)
    data = result.as_dict()
    data["files"] = len(files) - len(missing)
    return data


def run_stories(quiet: bool = False) -> dict[str, Any]:
    """Group new reports into stories (incremental) with a progress bar."""
    from escwatch.stories import update_stories
    from escwatch.stories.cluster import pending

    store, ctx = _store(), _context()
    with store.engine.connect() as conn:
        n = len(pending(conn))
    with Progress(TextColumn("[bold]stories"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=quiet or n == 0) as bar:
        task = bar.add_task("", total=n)
        return update_stories(store, ctx.pack, progress=lambda k: bar.advance(task, k), repair=True)


@app.command()
def ingest(
    paths: Annotated[list[str] | None, typer.Argument(
        help="files or folders (.txt .md .html .json .jsonl, Telegram result.json), or http(s) URLs of pages or feeds")
    ] = None,
    urls: Annotated[list[Path] | None, typer.Option("--urls", help="a file of URLs, one per line (repeatable)")] = None,
    gdelt: Annotated[bool, typer.Option("--gdelt", help="PATHS are GDELT 2.0 files: fetch the articles they list")
                     ] = False,
    theme: Annotated[list[str] | None, typer.Option(help="GDELT: keep rows with this GKG theme (repeatable)")] = None,
    country: Annotated[list[str] | None, typer.Option(help="GDELT: keep rows with this FIPS country code")] = None,
    allow_private: Annotated[bool, typer.Option(help="allow URLs on private, loopback or link-local addresses")
                             ] = False,
    ignore_robots: Annotated[bool, typer.Option(help="do not obey robots.txt (only with the site's consent)")
                             ] = False,
    stories: Annotated[bool, typer.Option("--stories/--no-stories", help="group new reports into stories")] = True,
    engine: Annotated[str, typer.Option(help="where reports are analysed: local (this process) or ray "
                                        "(Ray worker processes; pip install 'escwatch[ray]')")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="a running Ray cluster (e.g. ray://host:10001); "
                                                    "default: start a local Ray")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Ray workers to start [default: one per core]")
                       ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest reports from files, folders, URLs, feeds, URL lists or GDELT files into the store."""
    from escwatch.cli_sources import run_live

    paths = paths or []
    web = [p for p in paths if p.startswith(("http://", "https://"))]
    files = [Path(p) for p in paths if p not in web]
    if not (paths or urls):
        raise EscwatchError("nothing to ingest", hint="give files, folders or URLs, or --urls FILE")
    if engine not in ("local", "ray"):
        raise EscwatchError(f"unknown engine {engine!r}", hint="use --engine local or --engine ray")
    data: dict[str, Any] = {"new": 0, "duplicate": 0, "failed": 0, "new_ids": [], "errors": []}
    with engine_for(engine, ray_address, workers) as mapper:
        if files and not gdelt:
            data = run_ingest(files, quiet=as_json, mapper=mapper)
        if web or urls or gdelt:
            live = run_live(web, list(urls or []), files if gdelt else [], theme or [], country or [],
                            allow_private, ignore_robots, quiet=as_json, mapper=mapper)
            for k in ("new", "duplicate", "failed"):
                data[k] += live[k]
            data["new_ids"] += live["new_ids"]
            data["errors"] += live["errors"]
    if stories:  # also finishes what a killed run left ungrouped or stale
        grouped = run_stories(quiet=as_json)
        if data["new"] or grouped["reports"] or grouped["stories_touched"]:
            data["stories"] = grouped
    if as_json:
        _emit(data)
    else:
        for err in data["errors"]:
            console.print(f"[red]error[/] {err['message']}")
        out.print(f"new {data['new']}, duplicate {data['duplicate']}, failed {data['failed']}")
    raise typer.Exit(1 if data["failed"] else 0)


@app.command("stories")
def list_stories_cmd(
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option(help="rows to show")] = 50,
    update: Annotated[bool, typer.Option("--update/--no-update", help="first group reports that have no story")] = True,
) -> None:
    """List stories: size, languages, outlets, first seen, independent origins."""
    from rich.table import Table

    from escwatch.stories import list_stories

    if update:
        run_stories(quiet=as_json)
    rows = list_stories(_store(), limit)
    if as_json:
        _emit(rows)
        return
    t = Table("story", "size", "langs", "first seen", "indep. origins", "title", box=None)
    for r in rows:
        t.add_row(r["id"], str(r["size"]), ",".join(r["languages"]),
                  r["first_seen"].date().isoformat() if r["first_seen"] else "-", str(r["independent_origins"]),
                  (r["title"] or "")[:70])
    out.print(t)


@app.command("story")
def show_story(story_id: Annotated[str, typer.Argument(help="story id (from `escwatch stories`)")],
               as_json: JsonOpt = False,
               dot: Annotated[Path | None, typer.Option(help="also write the provenance graph as Graphviz")] = None
               ) -> None:
    """One story: members in time order and its provenance tree."""
    from escwatch.stories import graph, provenance, refresh_story

    store, ctx = _store(), _context()
    mem, g = graph(store, ctx.pack, story_id)
    if not mem:
        raise EscwatchError(f"no story {story_id!r}", hint="list stories with `escwatch stories`")
    row = refresh_story(store, ctx.pack, story_id)
    if dot:
        dot.write_text(provenance.to_dot(g, story_id), encoding="utf-8")
    if as_json:
        _emit({**row, "members": [{"id": m.id, "published": m.published, "language": m.language,
                                   "outlet": m.outlet, "title": m.title, "url": m.url} for m in mem],
               "graph": {"nodes": g.nodes, "edges": [{"src": a, "dst": b, "kind": k, "report": r}
                                                     for a, b, k, r in g.edges]}})
        return
    out.print(f"[bold]{row['title']}[/]\nstory {story_id}: {row['size']} reports in {', '.join(row['languages'])}; "
              f"outlets: {', '.join(row['outlets'])}")
    out.print(f"independent origins: [bold]{row['independent_origins']}[/] — "
              + "; ".join(f"{o['label']} ({o['owner']})" for o in row["origins"]))
    out.print()
    for line in provenance.tree_lines(g, mem):
        out.print(line, markup=False)


@app.command()
def export(
    what: Annotated[str, typer.Option(help="reports | stories | observations | alerts")] = "reports",
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | geojson | plover | misp")] = "jsonl",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write [default: stdout]")] = None,
    bom: Annotated[bool, typer.Option(help="CSV: start with a UTF-8 byte-order mark (for Excel)")] = False,
) -> None:
    """Export reports, stories, observations or alerts as JSON Lines, CSV, GeoJSON, PLOVER or MISP.

    Reports are SCHEMA.md records; observations are those of the current assessment; field lists are in
    docs/exports.md."""
    from escwatch.report.export import records
    from escwatch.report.formats import check, write
    from escwatch.stories import list_stories

    check(what, fmt)
    store, ctx = _store(), _context()
    if what == "observations":
        from escwatch.assess import assess as run_assess
        from escwatch.assess.persist import observation_row, overrides

        a = run_assess(store, ctx.pack, overrides=overrides(store, State.settings.extra))
        rows: Any = [observation_row(o) for o in (a.days[-1].observations if a.days else [])]
    elif what == "alerts":
        from escwatch.assess.alerts import stored

        rows = [al.as_dict() for al in stored(store)]
    elif what == "stories":
        rows = (json.loads(json.dumps(r, default=str)) for r in list_stories(store, limit=10**9))
    else:
        rows = records(store.iter_reports(), ctx.pack)
    if output:
        with output.open("w", encoding="utf-8", newline="") as fh:
            n = write(rows, what, fmt, fh, bom)
        console.print(f"{n} records written to {output}")
    else:
        write(rows, what, fmt, sys.stdout, bom)


@app.command()
def show(report_id: Annotated[str, typer.Argument(help="report id or a unique prefix of it")],
         as_json: JsonOpt = False) -> None:
    """Show one report with its extracted evidence."""
    from escwatch.report.export import record
    from escwatch.report.terminal import render_report

    store, ctx = _store(), _context()
    rep = store.get_report(report_id)
    if as_json:
        _emit(record(rep, ctx.pack))
    else:
        render_report(rep, out)


@app.command("reports")
def list_reports(as_json: JsonOpt = False, limit: Annotated[int, typer.Option(help="rows to show")] = 50) -> None:
    """List stored reports."""
    from escwatch.report.terminal import report_table

    reps = list(_store().iter_reports())[:limit]
    if as_json:
        _emit([{"id": r.id, "published": r.published, "language": r.language, "outlet": r.outlet,
                "title": r.title, "source": r.source, "indicators": sorted({h.id for h in r.indicators})}
               for r in reps])
    else:
        out.print(report_table(reps))


@app.command("errors")
def list_errors(as_json: JsonOpt = False) -> None:
    """List the documents that failed, with their error codes."""
    rows = _store().errors()
    if as_json:
        _emit(rows)
    else:
        for r in rows:
            out.print(f"{r['code']}  {r['stage']:<8} {r['source']}\n      {r['message']}")
        out.print(f"{len(rows)} errors")


@app.command()
def demo(
    db: Annotated[str, typer.Option(help="store for the demo: a SQLite path or a database URL")] = "escwatch-demo.db",
    brief_path: Annotated[Path, typer.Option("--brief", help="where to write the briefing")] = Path(
        "escwatch-demo-brief.md"),
    as_json: JsonOpt = False,
) -> None:
    """Ingest the bundled demo corpus, run the whole pipeline, print a summary and write a briefing."""
    from escwatch.demo import corpus_files, run_demo

    State.settings = load_settings(db=str(db), packs=State.settings.packs)
    data = run_ingest(corpus_files(), quiet=as_json)
    summary = run_demo(_store(), _context(), brief_path)
    summary["ingest"] = {k: data[k] for k in ("new", "duplicate", "failed")}
    if as_json:
        _emit(summary)
        return
    out.print(f"\n[bold]escwatch demo[/] — store {shown(db)}")
    out.print(f"reports: {summary['reports']}  by language: " +
              ", ".join(f"{k} {v}" for k, v in sorted(summary["languages"].items())))
    out.print(f"entities found: {summary['entities']}  (distinct)")
    out.print("indicators found (reports): " + ", ".join(f"{k} {v}" for k, v in sorted(summary["indicators"].items())))
    out.print(f"stories: {summary['stories']}")
    if "assessment" in summary:
        a = summary["assessment"]
        out.print(f"escalation index: peak {a['peak_index']} on {a['peak_day']}; on {a['last_day']}: " +
                  ", ".join(f"{h} {p:.0%}" for h, p in a["posteriors"].items()))
        out.print(f"next: escwatch --db {shown(db)} explain {a['peak_day']}  ·  escwatch --db {shown(db)} hypotheses")
    out.print(f"briefing written to {summary['brief']}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the store's schema up to date (runs automatically on open as well)."""
    from escwatch.store import migrate

    store = _store()
    out.print(f"schema at revision {migrate.current(store.engine)}")


from escwatch import cli_assess, cli_report, cli_sources, cli_web  # noqa: E402,F401  (register the commands)


def main() -> None:
    try:
        app()
    except EscwatchError as exc:
        console.print(f"[red]error[/] {exc}")
        sys.exit(2)

