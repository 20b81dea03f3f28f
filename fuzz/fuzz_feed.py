"""Fuzz the feed parser with its XML guard (defusedxml first, then feedparser) with atheris.

Whatever the bytes, ``parse_feed`` returns a Feed or raises FeedError; a feed that declares entities
is refused, never expanded; entries keep their invariants (http(s) links only, ISO dates, a key).

    python fuzz/fuzz_feed.py fuzz/corpus/feed -max_total_time=600      (see fuzz/README.md)
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from datetime import datetime

import atheris

with atheris.instrument_imports(include=["escwatch", "feedparser", "defusedxml"]):
    import feedparser  # noqa: F401  (instrumented too: coverage guides the fuzzer through it)

    from escwatch.errors import EscwatchError, FeedError
    from escwatch.ingest.feeds import entry_doc, parse_feed
    from escwatch.parse import parse
    from escwatch.records import RawDoc

URL = "https://example.org/feed.xml"
warnings.simplefilter("ignore")  # feedparser's deprecation notices, once per input


def check_feed(data: bytes) -> None:
    try:
        feed = parse_feed(data, URL)
    except FeedError:
        return
    if b"<!ENTITY" in data.upper():
        raise AssertionError("a feed declaring entities was read")
    for e in feed.entries:
        if not e.key or e.words < 0 or not (e.html.strip() or e.link):
            raise AssertionError(f"entry without key or content: {e!r:.200}")
        if e.link is not None and not e.link.startswith(("http://", "https://")):
            raise AssertionError(f"entry link {e.link!r:.80} is not http(s)")
        if e.published is not None:
            datetime.fromisoformat(e.published)
        for doc in entry_doc(feed, e, None):
            if not isinstance(doc, RawDoc):
                raise AssertionError("an entry without a fetcher gave an error record")
            with contextlib.suppress(EscwatchError):  # parsing may refuse it, with a typed error only
                parse(doc)


def test_one_input(data: bytes) -> None:
    check_feed(data)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
