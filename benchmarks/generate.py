"""Generated reports for the benchmarks: texts built from the bundled demo corpus (written by the team),
and analysed records copied from a few real analyses with fresh ids and dates."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from escwatch.analyse.context import Context
from escwatch.analyse.pipeline import analyse_report
from escwatch.demo import corpus_dir
from escwatch.engine.local import Processed
from escwatch.ingest.live import Item
from escwatch.parse import parse
from escwatch.records import RawDoc, Report

START = datetime(2015, 1, 1, tzinfo=UTC)


def texts(n: int, words: int = 600) -> list[tuple[str, str | None]]:
    """``n`` texts of ``words`` words in the corpus's languages (round robin), each one distinct."""
    rows = [json.loads(x) for x in (corpus_dir() / "reports.jsonl").read_text(encoding="utf-8").splitlines() if x]
    by_lang: dict[str, list[str]] = {}
    for r in rows:
        by_lang.setdefault(r.get("language") or "en", []).append(r["text"])
    langs = sorted(by_lang)
    out = []
    for i in range(n):
        lang = langs[i % len(langs)]
        pool, chosen, k = by_lang[lang], [], i
        while len(chosen) < words:
            chosen += pool[k % len(pool)].split()
            k += 1
        out.append((" ".join(chosen[:words]) + f" ({i})", lang))
    return out


def docs(n: int, words: int = 600, start: int = 0) -> Iterator[RawDoc]:
    """``n`` generated documents, produced one at a time (nothing is held)."""
    pool = texts(50, words)
    for i in range(start, start + n):
        text, _ = pool[i % len(pool)]
        yield RawDoc(f"gen/{i}.txt", "txt", f"{text} [{i}]",
                     {"published": (START + timedelta(minutes=5 * i)).isoformat(), "outlet": f"Outlet {i % 150}"})


def templates(ctx: Context, k: int = 20, words: int = 120) -> list[Report]:
    """``k`` real analyses of generated texts, to be copied."""
    return [analyse_report(parse(RawDoc(f"t{i}", "txt", t)), ctx) for i, (t, _) in enumerate(texts(k, words))]


def copies(pool: list[Report], n: int, start: int = 0) -> Iterator[Report]:
    """``n`` analysed reports: the templates' analyses under fresh ids, sources and dates."""
    for i in range(start, start + n):
        rid = hashlib.sha256(f"gen-{i}".encode()).hexdigest()
        yield replace(pool[i % len(pool)], id=rid, source=f"gen/{i}", published=START + timedelta(minutes=5 * i))


def template_mapper(pool: list[Report]) -> Callable[[Iterable[Item], Callable[[str], bool]],
                                                     Iterator[tuple[Item, Processed]]]:
    """An engine mapper that parses each document for real and gives it a template's analysis: the
    streaming path (read, parse, batch, store, bookkeeping) at a rate that makes 1M reports feasible."""

    def run(items: Iterable[Item], skip: Callable[[str], bool]) -> Iterator[tuple[Item, Processed]]:
        for n, item in enumerate(items):
            if not isinstance(item.doc, RawDoc):
                yield item, None
                continue
            rep = parse(item.doc)
            if skip(rep.id):
                yield item, None
                continue
            yield item, replace(pool[n % len(pool)], id=rep.id, source=rep.source, raw_text=rep.raw_text,
                                text=rep.text, published=rep.published, outlet=rep.outlet)

    return run
