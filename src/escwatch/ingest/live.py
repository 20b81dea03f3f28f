"""Live sources as items: feeds, URLs, URL lists, folders (files and Telegram exports), GDELT files.

Every item carries a stable key; ``engine.ingest_items`` stores its report and marks the key seen in
one transaction, so a source can be polled again and again (or after a crash) and each item is
handled once. A transient failure (timeout, 5xx, 429) is not marked: it is tried again next time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escwatch.errors import EscwatchError, FetchError, FetchTimeoutError, HTTPStatusError, InputError
from escwatch.ingest.decode import decode
from escwatch.ingest.feeds import entry_doc, looks_like_feed, parse_feed
from escwatch.ingest.fetch import Fetcher
from escwatch.ingest.files import expand, read_file
from escwatch.records import ErrorRecord, RawDoc
from escwatch.store import Store


@dataclass(frozen=True)
class Item:
    key: str
    doc: RawDoc | ErrorRecord | None  # None: only mark the key (a file or feed URL whose items are all done)
    retry: bool = False  # a transient failure: not marked seen, tried again on the next poll
    fetch_state: dict[str, Any] | None = None  # a feed's ETag etc., stored with its last entry (never before)


def transient(exc: EscwatchError) -> bool:
    if isinstance(exc, FetchTimeoutError):
        return True
    if isinstance(exc, HTTPStatusError):
        status = getattr(exc, "status", None)
        return status is None or status == 429 or status >= 500
    return type(exc) is FetchError  # a connection failure, not a refusal


def _failed(key: str, source: str, stage: str, exc: EscwatchError) -> Item:
    return Item(key, ErrorRecord(source, stage, exc.code, str(exc)), retry=transient(exc))


def feed_items(url: str, fetcher: Fetcher, store: Store) -> Iterator[Item]:
    """New entries of a feed (conditional GET; unchanged feeds cost one 304)."""
    state = store.fetch_state(url)
    try:
        got = fetcher.get(url, etag=state.get("etag"), last_modified=state.get("last_modified"))
    except EscwatchError as exc:
        store.set_fetch_state(url, etag=state.get("etag"), last_modified=state.get("last_modified"),
                              status=getattr(exc, "status", None), error=str(exc))
        yield _failed(f"feed:{url}", url, "fetch", exc)
        return
    state = {"url": url, "etag": got.etag, "last_modified": got.last_modified, "status": got.status, "error": None}
    if got.not_modified:
        store.set_fetch_state(**state)
        return
    yield from _feed_entries(url, got.content, fetcher, store)
    yield Item(f"feed:{url}", None, fetch_state=state)  # only once every entry is stored: a crash re-reads the feed


def _feed_entries(url: str, content: bytes, fetcher: Fetcher, store: Store) -> Iterator[Item]:
    try:
        feed = parse_feed(content, url)
    except EscwatchError as exc:
        yield _failed(f"feed:{url}#{hashlib.sha1(content).hexdigest()[:16]}", url, "feed", exc)
        return
    keys = {e.key: f"feed:{url}#{e.key}" for e in feed.entries}
    done = store.seen(keys.values())
    for entry in feed.entries:
        key = keys[entry.key]
        if key in done:
            continue
        for doc in entry_doc(feed, entry, fetcher):
            yield Item(key, doc, retry=isinstance(doc, ErrorRecord) and not entry.html.strip())


def url_items(url: str, fetcher: Fetcher, store: Store) -> Iterator[Item]:
    """One page (or, when the URL is a feed, its new entries)."""
    key = f"url:{url}"
    if store.seen([key]):
        return
    try:
        got = fetcher.get(url)
    except EscwatchError as exc:
        yield _failed(key, url, "fetch", exc)
        return
    if looks_like_feed(got.content, got.content_type):
        yield from _feed_entries(url, got.content, fetcher, store)
        yield Item(key, None)
        return
    try:
        yield Item(key, RawDoc(url, "html", decode(got.content, url), {"url": got.final_url}))
    except EscwatchError as exc:
        yield _failed(key, url, "fetch", exc)


def url_list(path: Path) -> list[str]:
    """URLs in a text file, one per line; blank lines and # comments skipped."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#")]


def _doc_key(doc: RawDoc | ErrorRecord) -> str:
    if isinstance(doc, ErrorRecord):
        return f"{doc.source}#error:{doc.code}"
    return f"{doc.source}#{hashlib.sha1(doc.content.encode('utf-8', 'replace')).hexdigest()[:16]}"


def file_items(paths: Collection[str | Path], store: Store, max_bytes: int) -> Iterator[Item]:
    """Documents of files (and folders) not handled before in this version of the file; a file's own
    key (path, size, mtime) is marked when all its documents are."""
    for path in expand(paths):
        try:
            st = path.stat()
        except OSError as exc:  # gone, a broken or looping link: reported once, until the file can be read
            if not store.seen([missing := f"file:{path}#missing"]):
                err = InputError(f"{path}: cannot be read: {exc.strerror or exc}",
                                 hint="check that the file exists, is not a broken link and that you may read it")
                yield Item(missing, ErrorRecord(str(path), "ingest", err.code, str(err)))
            continue
        fkey = f"file:{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"
        if store.seen([fkey]):
            continue
        docs = [(d, _doc_key(d)) for d in read_file(path, max_bytes)]
        done = store.seen(k for _, k in docs)
        for doc, key in docs:
            if key not in done:
                yield Item(key, doc)
        yield Item(fkey, None)


def gdelt_items(path: Path, fetcher: Fetcher, store: Store, themes: Collection[str] = (),
                countries: Collection[str] = ()) -> Iterator[Item]:
    """The articles a GDELT file points to, fetched (filtered by GKG themes and country codes)."""
    from escwatch.ingest.gdelt import GdeltItem, read_gdelt

    for got in read_gdelt(path, themes, countries):
        if isinstance(got, GdeltItem):
            yield from url_items(got.url, fetcher, store)
        else:
            yield Item(f"gdelt:{path}#error:{got.code}:{got.source}", got)
