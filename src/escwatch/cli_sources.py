"""CLI of live sources: ingest from URLs and GDELT (``run_live``), ``feeds``, and ``watch``.

Registered on the main app by ``escwatch.cli`` (imported at its end)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import delete, select

from escwatch.cli import JsonOpt, State, _context, _emit, _store, app, console, out
from escwatch.errors import EscwatchError

feeds_app = typer.Typer(help="Feeds that `escwatch watch` follows.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")


def run_live(urls: list[str], url_files: list[Path], gdelt_files: list[Path], themes: list[str],
             countries: list[str], allow_private: bool, ignore_robots: bool, quiet: bool = False,
             mapper: Any = None) -> dict[str, Any]:
    """Fetch pages and feeds (and the articles GDELT files list) into the store, with a spinner."""
    from escwatch.engine.local import ingest_items
    from escwatch.ingest.fetch import Fetcher, FetchPolicy
    from escwatch.ingest.live import Item, gdelt_items, url_items, url_list

    store, ctx = _store(), _context()
    _ = ctx.gazetteer
    policy = FetchPolicy(allow_private=allow_private, respect_robots=not ignore_robots)
    for f in url_files:
        if not f.is_file():
            raise EscwatchError(f"URL list {f} not found")

    def items(fetcher: Fetcher) -> Iterator[Item]:
        for url in [*urls, *(u for f in url_files for u in url_list(f))]:
            yield from url_items(url, fetcher, store)
        for g in gdelt_files:
            yield from gdelt_items(g, fetcher, store, themes, countries)

    with Fetcher(policy) as fetcher, Progress(SpinnerColumn(), TextColumn("[bold]fetch"), TimeElapsedColumn(),
                                               TextColumn("{task.description}"), console=console,
                                               disable=quiet) as bar:
        task = bar.add_task("", total=None)
        res = ingest_items(items(fetcher), store, ctx, progress=lambda it: bar.update(task, description=it.key[-60:]),
                           mapper=mapper)
    return res.as_dict()


@feeds_app.command("add")
def feeds_add(url: Annotated[str, typer.Argument(help="feed URL (RSS or Atom)")],
              title: Annotated[str | None, typer.Option(help="a name for it")] = None) -> None:
    """Follow a feed."""
    _add_feeds([(url, title)], "cli")
    out.print(f"following {url}")


@feeds_app.command("import")
def feeds_import(opml: Annotated[Path, typer.Argument(help="an OPML file (exported from a feed reader)")],
                 as_json: JsonOpt = False) -> None:
    """Follow every feed of an OPML file."""
    from escwatch.ingest.feeds import read_opml

    try:
        found = read_opml(opml.read_bytes(), str(opml))
    except OSError as exc:
        raise EscwatchError(f"cannot read {opml}: {exc.strerror or exc}") from None
    added = _add_feeds(found, "opml")
    if as_json:
        _emit({"found": len(found), "added": added})
    else:
        out.print(f"{len(found)} feeds in {opml}, {added} new")


def _add_feeds(found: list[tuple[str, str | None]], origin: str) -> int:
    from escwatch.store.schema import feeds

    bad = [u for u, _ in found if not u.startswith(("http://", "https://"))]
    if bad:
        raise EscwatchError(f"not a feed URL: {bad[0]}", hint="feeds are http(s) URLs")
    added = 0
    with _store().engine.begin() as conn:
        known = set(conn.execute(select(feeds.c.url)).scalars())
        for url, title in found:
            if url not in known:
                conn.execute(feeds.insert().values(url=url, title=title, added_from=origin, enabled=1,
                                                   added_at=datetime.now(UTC)))
                known.add(url)
                added += 1
    return added


@feeds_app.command("list")
def feeds_list(as_json: JsonOpt = False) -> None:
    """The feeds followed, with their last fetch."""
    from escwatch.store.schema import feeds, fetch_state

    with _store().engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(
            select(feeds, fetch_state.c.status, fetch_state.c.fetched_at, fetch_state.c.error)
            .join(fetch_state, fetch_state.c.url == feeds.c.url, isouter=True).order_by(feeds.c.url)).mappings()]
    if as_json:
        _emit(rows)
        return
    for r in rows:
        last = f"{r['status']} at {r['fetched_at']:%Y-%m-%d %H:%M}" if r["fetched_at"] else "never fetched"
        out.print(f"{r['url']}  {r['title'] or ''}  [{last}]" + (f"  {r['error']}" if r["error"] else ""))
    out.print(f"{len(rows)} feeds")


@feeds_app.command("remove")
def feeds_remove(url: Annotated[str, typer.Argument(help="feed URL")]) -> None:
    """Stop following a feed."""
    from escwatch.store.schema import feeds

    with _store().engine.begin() as conn:
        n = conn.execute(delete(feeds).where(feeds.c.url == url)).rowcount
    if not n:
        raise EscwatchError(f"not following {url}", hint="see `escwatch feeds list`")
    out.print(f"stopped following {url}")


@app.command()
def watch(
    feed: Annotated[list[str] | None, typer.Option(help="a feed URL to follow (repeatable)")] = None,
    folder: Annotated[list[str] | None, typer.Option(help="a folder whose new files are ingested (repeatable)")
                      ] = None,
    urls: Annotated[list[str] | None, typer.Option("--urls", help="a file of URLs (repeatable)")] = None,
    gdelt: Annotated[list[str] | None, typer.Option(help="a GDELT file or folder (repeatable)")] = None,
    interval: Annotated[float | None, typer.Option(help="seconds between polls [default: 300 or [watch]]")] = None,
    once: Annotated[bool, typer.Option(help="one cycle, then exit")] = False,
    allow_private: Annotated[bool, typer.Option(help="allow private, loopback and link-local URLs")] = False,
    ignore_robots: Annotated[bool, typer.Option(help="do not obey robots.txt")] = False,
    log_file: Annotated[Path | None, typer.Option("--log", help="write structured (JSON) logs here")] = None,
) -> None:
    """Follow feeds, folders, URL lists and GDELT files: ingest what is new, update stories, assess, alert.

    Stops cleanly on Ctrl-C or SIGTERM; after a crash it resumes where it stopped."""
    from escwatch.analyse.pipeline import warm
    from escwatch.watch import WatchConfig
    from escwatch.watch import watch as run_watch

    cfg = WatchConfig.from_settings(State.settings.extra, State.settings.max_bytes, feeds=feed, folders=folder,
                                    url_lists=urls, gdelt=gdelt, interval=interval, allow_private=allow_private,
                                    ignore_robots=ignore_robots)
    store, ctx = _store(), _context()
    with console.status("loading models"):
        warm(ctx)
    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter('{"time": "%(asctime)s", "level": "%(levelname)s", "log": %(message)s}'))
        logging.getLogger("escwatch").addHandler(handler)
        logging.getLogger("escwatch").setLevel(logging.INFO)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        console.print(f"[yellow]{signal.Signals(signum).name}: finishing the item in hand, then stopping[/]")
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    status = console.status("watching")
    status.start()

    def on_cycle(n: int, stats: dict[str, Any]) -> None:
        line = (f"cycle {n}: new {stats['new']}, duplicate {stats['duplicate']}, failed {stats['failed']}"
                + (f", index {stats['index']}" if "index" in stats else "")
                + (f", alerts {stats.get('alerts_new', 0)}" if "alerts_new" in stats else "")
                + f" ({stats['seconds']} s)")
        console.print(line)
        status.update(f"{line} — next poll in {cfg.interval:g} s (Ctrl-C stops)")

    try:
        n = run_watch(cfg, store, ctx, State.settings.extra, stop, on_cycle, once=once,
                      progress=lambda it: status.update(f"ingesting {it.key[-70:]}"))
    finally:
        status.stop()
    out.print(f"stopped after {n} cycle{'s' if n != 1 else ''}")
