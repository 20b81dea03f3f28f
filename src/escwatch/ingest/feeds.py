"""RSS and Atom feeds: hostile XML refused, entries as documents, the article page fetched when the
feed carries only a summary, and OPML files of feeds read.

XML is first checked with defusedxml (no entity declarations, no external references), then parsed
by feedparser from bytes (feedparser never fetches anything itself here).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from typing import Any

import defusedxml.ElementTree as SafeET
import feedparser
from defusedxml import DefusedXmlException

from escwatch.errors import EscwatchError, FeedError
from escwatch.ingest.decode import decode
from escwatch.ingest.fetch import Fetcher
from escwatch.records import ErrorRecord, RawDoc

FULL_WORDS = 120  # an entry with fewer words of content is a summary: its article page is fetched
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml",
              "application/feed+json")
TAGS = re.compile(r"<[^>]+>")
ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    key: str  # stable: the entry's id, else its link, else a hash of title and date
    link: str | None
    title: str | None
    published: str | None  # ISO, UTC
    author: str | None
    html: str  # the longest content or summary the feed gives
    words: int


@dataclass(frozen=True)
class Feed:
    url: str
    title: str | None
    entries: tuple[Entry, ...]


def looks_like_feed(content: bytes, content_type: str = "") -> bool:
    """A feed by its media type, or by an RSS/Atom/RDF root element near the start."""
    if content_type in FEED_TYPES:
        return True
    head = content[:2000].lower()
    return any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf"))


def _guard(content: bytes, url: str) -> None:
    """Refuse entity expansion and external entities before any parser sees the bytes."""
    try:
        SafeET.fromstring(content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(f"{url}: refused hostile feed XML ({type(exc).__name__})",
                        hint="the feed declares entities or external references; it is not read") from None
    except SafeET.ParseError:
        if ENTITY_DECL.search(content):  # broken XML that still declares entities: refuse, never expand
            raise FeedError(f"{url}: refused malformed feed XML with entity declarations") from None


def _iso(parsed: Any) -> str | None:
    if not parsed:
        return None
    try:
        y, mo, d, h, mi, sec = parsed[:6]
        return datetime(y, mo, d, h, mi, sec, tzinfo=UTC).isoformat()
    except (TypeError, ValueError):
        return None


def _entry(e: Any) -> Entry | None:
    parts = [c.get("value", "") for c in e.get("content") or []] + [e.get("summary") or ""]
    html = max(parts, key=len) if parts else ""
    link = e.get("link") or None
    if link and not link.startswith(("http://", "https://")):  # a bare guid feedparser took for a permalink
        link = None
    title = e.get("title") or None
    published = _iso(e.get("published_parsed") or e.get("updated_parsed"))
    key = e.get("id") or link or hashlib.sha1(f"{title}|{published}|{html[:200]}".encode()).hexdigest()
    if not (html.strip() or link):
        return None
    return Entry(str(key), link, title, published, e.get("author") or None, html,
                 len(TAGS.sub(" ", html).split()))


def parse_feed(content: bytes, url: str) -> Feed:
    """A feed's title and entries; FeedError when it is hostile or not a feed at all."""
    _guard(content, url)
    parsed = feedparser.parse(content, sanitize_html=False, resolve_relative_uris=False)
    if parsed.get("bozo") and not parsed.get("entries"):
        exc = parsed.get("bozo_exception")
        raise FeedError(f"{url}: not a readable feed ({exc or 'no entries'})")
    entries = tuple(x for x in (_entry(e) for e in parsed.get("entries", [])) if x is not None)
    return Feed(url, (parsed.get("feed") or {}).get("title") or None, entries)


def entry_doc(feed: Feed, entry: Entry, fetcher: Fetcher | None) -> Iterator[RawDoc | ErrorRecord]:
    """The entry as a document: its own content when it is the article, else the linked page (the
    summary is kept, with an error row, when the page cannot be fetched)."""
    meta: dict[str, Any] = {"title": entry.title, "url": entry.link, "published": entry.published,
                            "outlet": feed.title, "author": entry.author, "feed": feed.url}
    meta = {k: v for k, v in meta.items() if v}
    source = entry.link or f"{feed.url}#{entry.key}"
    if entry.words < FULL_WORDS and entry.link and fetcher is not None:
        try:
            page = fetcher.get(entry.link)
            yield RawDoc(source, "html", decode(page.content, entry.link), {**meta, "url": page.final_url})
            return
        except EscwatchError as exc:
            yield ErrorRecord(entry.link, "fetch", exc.code, str(exc))
    if entry.html.strip():  # a fragment, not a page: its text as it stands
        yield RawDoc(source, "txt", fragment_text(entry.html), meta)


BLOCK = re.compile(r"(?i)</?(?:p|div|br|li|h[1-6]|blockquote|tr)\b[^>]*>")


def fragment_text(html: str) -> str:
    """Plain text of an HTML fragment from a feed: block tags become line breaks, entities decoded."""
    text = TAGS.sub("", BLOCK.sub("\n", html))
    lines = (" ".join(line.split()) for line in unescape(text).splitlines())
    return "\n\n".join(line for line in lines if line)


def read_opml(content: bytes, source: str) -> list[tuple[str, str | None]]:
    """(feed URL, title) for every outline with an xmlUrl in an OPML file."""
    try:
        root = SafeET.fromstring(content, forbid_dtd=True)
    except (DefusedXmlException, SafeET.ParseError) as exc:
        raise FeedError(f"{source}: not a readable OPML file ({type(exc).__name__}: {exc})") from None
    out = []
    for node in root.iter("outline"):
        url = node.get("xmlUrl") or node.get("xmlurl")
        if url and url.startswith(("http://", "https://")):
            out.append((url.strip(), node.get("title") or node.get("text")))
    return list(dict.fromkeys(out))
