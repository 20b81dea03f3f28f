"""``escwatch watch``: poll the configured sources, ingest what is new, update stories, assess, alert.

Sources come from ``[watch]`` in escwatch.toml, the feeds table (``escwatch feeds add/import``) and
command-line options. A cycle ingests items one by one (each item's key is marked in the transaction
that stores it), then groups new reports into stories, re-assesses and delivers new alerts. SIGINT
or SIGTERM ends the loop after the item in hand; a kill -9 loses nothing and repeats nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from escwatch.analyse.context import Context
from escwatch.engine.local import ingest_items
from escwatch.errors import ConfigError
from escwatch.ingest.fetch import Fetcher, FetchPolicy
from escwatch.ingest.files import expand
from escwatch.ingest.live import Item, feed_items, file_items, gdelt_items, url_items, url_list
from escwatch.store import Store
from escwatch.store.schema import feeds

log = logging.getLogger("escwatch.watch")


@dataclass(frozen=True)
class WatchConfig:
    feeds: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()  # files and Telegram exports (result.json) dropped here are ingested
    url_lists: tuple[str, ...] = ()  # text files of URLs, one per line
    gdelt: tuple[str, ...] = ()  # GDELT files or folders of them
    gdelt_themes: tuple[str, ...] = ()
    gdelt_countries: tuple[str, ...] = ()
    interval: float = 300.0  # seconds between polls
    deliver_days: int = 3  # alerts about days older than this (at start) are recorded, not sent
    max_bytes: int = 20_000_000
    policy: FetchPolicy = field(default_factory=FetchPolicy)

    @classmethod
    def from_settings(cls, extra: Mapping[str, Any], max_bytes: int, **cli: Any) -> WatchConfig:
        conf = dict(extra.get("watch") or {})
        unknown = set(conf) - set(cls.__dataclass_fields__) - {"allow_private", "respect_robots", "min_interval"}
        if unknown:
            raise ConfigError(f"[watch]: unknown keys {sorted(unknown)}",
                              hint=f"known: {', '.join(sorted(cls.__dataclass_fields__))}")
        policy = FetchPolicy(allow_private=bool(conf.pop("allow_private", False)) or bool(cli.get("allow_private")),
                             respect_robots=bool(conf.pop("respect_robots", True)) and not cli.get("ignore_robots"),
                             min_interval=float(conf.pop("min_interval", 1.0)))
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in conf.items()}
        for key in ("feeds", "folders", "url_lists", "gdelt"):  # command-line sources add to the configured
            values[key] = tuple(values.get(key, ())) + tuple(cli.get(key) or ())
        if cli.get("interval") is not None:
            values["interval"] = float(cli["interval"])
        cfg = cls(**values, max_bytes=max_bytes, policy=policy)
        return cfg


def followed_feeds(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(feeds.c.url).where(feeds.c.enabled == 1).order_by(feeds.c.url)).scalars())


def items(cfg: WatchConfig, store: Store, fetcher: Fetcher) -> Iterator[Item]:
    """Everything the sources hold that was not handled before, source by source."""
    for url in dict.fromkeys([*cfg.feeds, *followed_feeds(store)]):
        yield from feed_items(url, fetcher, store)
    if cfg.folders:
        yield from file_items(cfg.folders, store, cfg.max_bytes)
    for lst in cfg.url_lists:
        for url in url_list(Path(lst)):
            yield from url_items(url, fetcher, store)
    for path in expand(cfg.gdelt) if cfg.gdelt else []:
        yield from gdelt_items(path, fetcher, store, cfg.gdelt_themes, cfg.gdelt_countries)


def after_ingest(store: Store, ctx: Context, settings_extra: Mapping[str, Any], since: date,
                 repair: bool = False) -> dict[str, Any]:
    """Stories, assessment and alerts for what a cycle brought in (``repair``: see ``update_stories``)."""
    from escwatch.assess import alerts as al
    from escwatch.assess import assess
    from escwatch.assess.persist import overrides, save
    from escwatch.stories import update_stories

    out: dict[str, Any] = {"stories": update_stories(store, ctx.pack, repair=repair)}
    a = assess(store, ctx.pack, overrides=overrides(store, settings_extra))
    if a.days:
        save(store, a)
        new = al.record(store, al.evaluate(a, al.rules_from(settings_extra)))
        out["alerts_new"] = len(new)
        out["deliveries"] = al.dispatch(store, al.channels_from(settings_extra), since)
        out["index"] = round(a.days[-1].index, 3)
    return out


def run_cycle(cfg: WatchConfig, store: Store, ctx: Context, fetcher: Fetcher, settings_extra: Mapping[str, Any],
              since: date, stop: threading.Event, progress: Callable[[Item], None] | None = None,
              resume: bool = False) -> dict[str, Any]:
    """One poll; ``resume`` (the first cycle) also finishes the stories, assessment and deliveries that a
    killed run left undone when nothing new comes in."""
    started = time.monotonic()
    res = ingest_items(items(cfg, store, fetcher), store, ctx, progress=progress, stop=stop.is_set)
    stats: dict[str, Any] = {"new": res.new, "duplicate": res.duplicate, "failed": res.failed}
    if (res.new or resume) and not stop.is_set():
        stats.update(after_ingest(store, ctx, settings_extra, since, repair=resume))
    stats["seconds"] = round(time.monotonic() - started, 3)
    return stats


def watch(cfg: WatchConfig, store: Store, ctx: Context, settings_extra: Mapping[str, Any], stop: threading.Event,
          on_cycle: Callable[[int, dict[str, Any]], None], once: bool = False,
          progress: Callable[[Item], None] | None = None, transport: Any = None) -> int:
    """Poll until ``stop`` is set (or once); returns the number of cycles run."""
    since = datetime.now(UTC).date() - timedelta(days=cfg.deliver_days)
    n = 0
    with Fetcher(cfg.policy, transport=transport) as fetcher:
        while not stop.is_set():
            n += 1
            stats = run_cycle(cfg, store, ctx, fetcher, settings_extra, since, stop, progress, resume=n == 1)
            log.info(json.dumps({"event": "cycle", "cycle": n, **{k: v for k, v in stats.items()
                                                                 if k != "deliveries"}}, default=str))
            on_cycle(n, stats)
            if once or stop.wait(cfg.interval):
                break
    return n
