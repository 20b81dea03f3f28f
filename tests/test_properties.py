"""Property-based tests (hypothesis): readers and parsers fail only with typed errors, every extracted span
slices the report text, the report id is a pure function of the text, reports round-trip through the store,
and ingesting the same documents twice, in any order, changes nothing the second time.

Example counts are kept small for CI (profile ``ci``); ``HYPOTHESIS_PROFILE=long`` runs many more.
"""

from __future__ import annotations

import html
import json
import os
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from escwatch.analyse.context import Context
from escwatch.analyse.pipeline import analyse_report
from escwatch.engine.local import ingest_docs
from escwatch.errors import EscwatchError
from escwatch.ingest.feeds import entry_doc, parse_feed
from escwatch.ingest.files import read_file
from escwatch.parse import parse
from escwatch.records import ErrorRecord, RawDoc, Report, content_hash
from escwatch.store import Store
from escwatch.store.schema import CHILDREN, errors, reports

_SLOW = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=12, deadline=None, suppress_health_check=_SLOW, print_blob=True)
settings.register_profile("long", max_examples=400, deadline=None, suppress_health_check=_SLOW, print_blob=True)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
SCALE = 1 if PROFILE == "ci" else 20  # cheap properties run several times more examples than the analysing ones


def examples(n: int) -> settings:
    """Settings for one test: ``n`` examples in CI, ``n * 20`` in the long profile."""
    return settings(settings.get_profile(PROFILE), max_examples=n * SCALE)


# -- strategies: words of our own in the pack's languages, with the markers the parsers look for ----------------

WORDS = [
    "Poetin", "Putin", "Путин", "Путін", "Sjojgoe", "Macron", "Scholz", "Kaliningrad", "Калининград", "Belgorod",
    "Pskov", "Novaja Zemlja", "Iskander", "Sarmat", "kernwapens", "nuclear", "ядерное", "ядерної", "Atomwaffen",
    "nucléaire", "jądrowej", "12th GUMO", "12-го ГУМО", "train", "trein", "поезд", "zou", "reportedly", "якобы",
    "нібито", "angeblich", "podobno", "said", "zei", "заявил", "sagte", "Bron:", "Source:", "Источник:", "Джерело:",
    "By", "Door", "«", "»", "\"", "„", "“", "”", "'", "3 October 2022", "2022-10-03", "October", "жовтня", "Oktober",
    ".", ",", ";", "!", "?", ":", "\n", "\n\n", "\r\n", "\t", "LEES OOK", "Read more", "The Times", "Reuters", "ТАСС",
    "NOS", "Zapad", "Steadfast Noon", "Grom", "test", "exercise", "oefening", "учения", "http://example.org/a",
    "<b>", "</p>", "&amp;", "#", "**", "- ", "\u00a0", "\u200b", "é", "ё", "😀",
]
word = st.one_of(st.sampled_from(WORDS), st.text(max_size=10))
prose = st.lists(word, min_size=1, max_size=50).map(" ".join)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=st.one_of(st.just(UTC), offsets))
published = st.one_of(st.none(), moments.map(lambda d: d.isoformat()), st.sampled_from(["2022-10", "2022-10-03",
                                                                                      "3 oct 2022", "", "soon"]))


@st.composite
def raw_docs(draw: st.DrawFn) -> RawDoc:
    """A document as a source delivers it: plain text, Markdown or an HTML page, with some metadata."""
    kind = draw(st.sampled_from(["txt", "md", "html"]))
    paras = draw(st.lists(prose, min_size=1, max_size=4))
    content = "\n\n".join(paras)
    if kind == "html":
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
        content = f"<html><head><title>{html.escape(paras[0][:40])}</title></head><body><article>{body}" \
                  f"</article></body></html>"
    meta = {k: v for k, v in {"published": draw(published), "title": draw(st.none() | prose),
                              "language": draw(st.sampled_from([None, "nl", "en", "ru", "xx"]))}.items() if v}
    return RawDoc(draw(st.sampled_from(["a.txt", "feed:x#1", "telegram:c/1"])), kind, content, meta)


def spans(report: Report) -> Iterator[tuple[str, str, int, int]]:
    """(what, text, start, end) of every span the analysis stages extracted."""
    for key in ("mentions", "places", "dates", "quotes", "claims", "cited_sources"):
        for s in getattr(report, key):
            yield key, s.text, s.start, s.end
    for hit in report.indicators:
        yield "indicators", hit.evidence, hit.start, hit.end


def parsed(doc: RawDoc) -> Report | None:
    """The parsed report, or None when parsing refused the document with a typed error."""
    try:
        return parse(doc)
    except EscwatchError:
        return None


# -- parse and analyse -----------------------------------------------------------------------------------------

@examples(15)
@given(doc=raw_docs())
def test_analysis_spans_slice_the_report_text_and_id_is_stable(doc: RawDoc, ctx: Context) -> None:
    rep = parsed(doc)
    if rep is None:
        return
    assert rep.id == content_hash(rep.text) == parse(RawDoc("elsewhere", doc.kind, doc.content, doc.meta)).id
    assert rep.text.strip()
    assert rep.published is None or rep.published.tzinfo is not None
    done = analyse_report(rep, ctx)
    assert (done.id, done.text, done.raw_text) == (rep.id, rep.text, rep.raw_text)
    for what, text, start, end in spans(done):
        assert 0 <= start <= end <= len(done.text), (what, start, end)
        assert done.text[start:end] == text, (what, text, done.text[start:end])
    assert analyse_report(rep, ctx) == done  # a pure function of the report


@examples(40)
@given(text=prose, pad=st.sampled_from(["", " ", "\n", "  \n\t"]))
def test_report_id_ignores_whitespace_and_source(text: str, pad: str) -> None:
    a, b = parsed(RawDoc("one", "txt", text)), parsed(RawDoc("two", "txt", pad + text + pad))
    if a is None:
        assert b is None
        return
    assert b is not None and a.id == b.id == content_hash(a.text)


# -- file readers ------------------------------------------------------------------------------------------------

json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | prose
json_value = st.recursive(json_scalar, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(
    st.sampled_from(["text", "title", "url", "published", "language", "outlet", "format", "x"]), kids, max_size=4),
    max_leaves=8)
report_obj = st.fixed_dictionaries({"text": prose | json_value}, optional={
    "title": prose | json_value, "published": published | json_value, "url": st.sampled_from(
        ["https://example.org/2022/10/03/a", "ftp://x", ""]), "format": st.sampled_from(["html", "txt"])})


@st.composite
def file_bytes(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, content) of a file dropped in an inbox: text in some encoding, JSON, JSON lines or noise."""
    suffix = draw(st.sampled_from([".txt", ".md", ".html", ".json", ".jsonl", ".pdf"]))
    how = draw(st.sampled_from(["utf-8", "utf-16", "cp1251", "json", "jsonl", "binary", "mangled", "deep"]))
    if how == "binary":
        return suffix, draw(st.binary(max_size=300))
    if how == "deep":  # nesting past the JSON decoder's recursion limit
        depth, bracket = draw(st.integers(500, 3000)), draw(st.sampled_from([("[", "]"), ('{"text":', "}")]))
        return suffix, (bracket[0] * depth + bracket[1] * depth).encode()
    if how in ("json", "jsonl"):
        objs = draw(st.lists(report_obj | json_value, min_size=1, max_size=4))
        lines = [json.dumps(o, ensure_ascii=draw(st.booleans())) for o in objs]
        if how == "json":
            return suffix, json.dumps(objs if len(objs) > 1 else objs[0]).encode()
        return suffix, "\n".join(draw(st.sampled_from([ln, ln[: len(ln) // 2]])) for ln in lines).encode()
    text = draw(prose)
    data = text.encode(how if how != "mangled" else "utf-8", errors="replace")
    if how == "mangled" and data:
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + draw(st.binary(min_size=1, max_size=4)) + data[i:]
    return suffix, data


@examples(60)
@given(got=file_bytes())
def test_file_readers_yield_documents_or_typed_errors(got: tuple[str, bytes], tmp_path: Path) -> None:
    suffix, data = got
    path = tmp_path / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    out = list(read_file(path))
    assert out, "a file gives at least one document or one error"
    for item in out:
        assert isinstance(item, RawDoc | ErrorRecord)
        if isinstance(item, ErrorRecord):
            assert item.code.startswith("E1") and item.code in item.message and item.stage == "ingest"
            continue
        assert isinstance(item.content, str) and item.kind in ("txt", "md", "html")
        rep = parsed(item)  # anything else raised fails the test
        if rep is not None:
            assert rep.text and rep.id == content_hash(rep.text)
    assert list(read_file(path)) == out  # reading is deterministic


# -- feeds --------------------------------------------------------------------------------------------------------

xml_text = st.one_of(prose.map(html.escape), st.sampled_from(["<![CDATA[<p>x</p>]]>", "&amp;", "&#x41;", "&bogus;",
                                                               "<!ENTITY a 'b'>", "]]>", "<", "&#0;"]))


@st.composite
def feeds(draw: st.DrawFn) -> bytes:
    """RSS or Atom built from generated parts (some of them invalid), or plain noise."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=400))
    n = draw(st.integers(0, 4))
    fields = [(draw(xml_text), draw(xml_text), draw(st.sampled_from(["http://x.org/a", "urn:1", "", "javascript:x"])),
               draw(st.sampled_from(["Tue, 11 Jul 2023 08:00:00 GMT", "2023-07-11T08:00:00Z", "yesterday", ""])))
              for _ in range(n)]
    prolog = draw(st.sampled_from(["", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="koi8-r"?>',
                                   '<!DOCTYPE rss [<!ENTITY e "boom">]>']))
    if draw(st.booleans()):
        items = "".join(f"<item><title>{t}</title><link>{ln}</link><guid>{ln or t}</guid><pubDate>{d}</pubDate>"
                        f"<description>{b}</description></item>" for t, b, ln, d in fields)
        body = f'<rss version="2.0"><channel><title>{draw(xml_text)}</title>{items}</channel></rss>'
    else:
        items = "".join(f"<entry><title>{t}</title><id>{ln or t}</id><link href=\"{ln}\"/><updated>{d}</updated>"
                        f"<content type=\"html\">{b}</content></entry>" for t, b, ln, d in fields)
        body = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{draw(xml_text)}</title>{items}</feed>'
    data = (prolog + body).encode()
    if draw(st.booleans()) and data:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut]
    return data


@examples(80)
@given(data=feeds())
def test_feed_parser_gives_entries_or_a_typed_error(data: bytes) -> None:
    try:
        feed = parse_feed(data, "https://example.org/feed.xml")
    except EscwatchError as exc:
        assert exc.code == "E407"
        return
    assert b"<!ENTITY" not in data.upper(), "a feed declaring entities is refused, never expanded"
    for entry in feed.entries:
        assert entry.key and entry.words >= 0 and (entry.html.strip() or entry.link)
        assert entry.link is None or entry.link.startswith(("http://", "https://"))
        assert entry.published is None or datetime.fromisoformat(entry.published).tzinfo is not None
        for doc in entry_doc(feed, entry, None):
            assert isinstance(doc, RawDoc) and doc.kind == "txt"  # no fetcher: the entry's own text
            parsed(doc)  # only typed errors
    assert parse_feed(data, "https://example.org/feed.xml") == feed


# -- the store ------------------------------------------------------------------------------------------------------

@examples(10)
@given(doc=raw_docs())
def test_analysed_report_round_trips_through_the_store(doc: RawDoc, ctx: Context, fresh_db: Store) -> None:
    doc = RawDoc(doc.source, doc.kind, f"{doc.content}\n\nnote {uuid.uuid4().hex}", doc.meta)  # new to this store
    rep = parsed(doc)
    if rep is None:
        return
    rep = analyse_report(rep, ctx)
    assert fresh_db.add_report(rep) is True
    assert fresh_db.get_report(rep.id) == rep
    assert fresh_db.add_report(rep) is False and fresh_db.get_report(rep.id) == rep


def _row_counts(store: Store) -> dict[str, int]:
    """Rows per table (reports, errors, analysis tables) and duplicated (report, seq) keys in the latter."""
    out: dict[str, int] = {}
    with store.engine.connect() as conn:
        for name, table in [("reports", reports), ("errors", errors), *CHILDREN.items()]:
            out[name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in CHILDREN.items():
            keys = select(table.c.report_id, table.c.seq).distinct().subquery()
            out[f"{name} distinct"] = conn.execute(select(func.count()).select_from(keys)).scalar_one()
    return out


def _ids(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(select(reports.c.id)).scalars())


bad_docs = st.sampled_from([RawDoc("empty.txt", "txt", "  \n "), RawDoc("teaser.txt", "txt", "LEES OOK: meer"),
                            RawDoc("nav.html", "html", "<html><body><nav>menu</nav></body></html>"),
                            RawDoc("date.json#1", "txt", "Een tekst.", {"published": "gisteren-morgen-xx"})])


@examples(8)
@given(docs=st.lists(raw_docs() | bad_docs, min_size=1, max_size=5), seed=st.randoms(use_true_random=False))
def test_ingest_twice_in_any_order_changes_nothing(docs: list[RawDoc], seed: random.Random, ctx: Context,
                                                   fresh_db: Store) -> None:
    before = _ids(fresh_db)
    first = ingest_docs(docs, fresh_db, ctx)
    expect = {r.id for r in map(parsed, docs) if r is not None}
    after = _ids(fresh_db)
    assert after == before | expect and set(first.new_ids) == expect - before
    assert first.new + first.duplicate + first.failed == len(docs)
    counts = _row_counts(fresh_db)
    again = ingest_docs(seed.sample(docs, len(docs)), fresh_db, ctx)
    assert (again.new, again.duplicate + again.failed) == (0, len(docs)) and again.failed == first.failed
    assert _ids(fresh_db) == after and _row_counts(fresh_db) == counts
    for name in CHILDREN:
        assert counts[name] == counts[f"{name} distinct"], f"duplicate rows in {name}"
