"""Incremental story grouping across outlets and languages.

A new report is compared only with reports that share a blocking key with it (a linked entity,
indicator or place) inside a time window, plus its near-duplicate candidates from the LSH table:
index lookups, never a rescan, so adding a report costs the same at 10k or 1M reports.
Similarity = a * cosine(USE embeddings) + (1 - a) * IDF-weighted Jaccard of the blocking keys,
with a smaller for languages USE does not cover (Ukrainian). A report joins the best story above
``JOIN``; stories that it links above ``MERGE`` are merged into the oldest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection

from escwatch.records import Report, utc
from escwatch.store.schema import feature_df, feature_index, lsh_buckets, reports, stories, story_signals
from escwatch.stories import embed, minhash

WINDOW = timedelta(days=7)
MONTH = timedelta(days=31)
PER_KEY = 60  # candidate rows read per blocking key: keeps the cost flat as the store grows
JOIN = 0.36
SECOND = 0.25  # weight of the second-best link to a story
MERGE = 0.55
SKIP_TYPES = {"outlet"}  # outlets say who reported, not what happened
TOTAL = "#reports"


ANCHOR_TYPES = {"system", "treaty", "site", "exercise", "unit", "event"}  # what a happening is about
ANCHOR_WEIGHT = 2.0


def features(r: Report) -> list[str]:
    """Blocking keys: linked entities (not outlets or countries; "a:" for anchors such as treaties,
    systems, sites and exercises), indicators, sub-country places."""
    keys = set()
    for m in r.mentions:
        if m.type in SKIP_TYPES or m.type == "place":  # places count once, below, and countries not at all
            continue
        prefix = "a" if m.type in ANCHOR_TYPES else "e"
        keys.add(f"{prefix}:{m.entity_id.lower()}"[:120])
    keys.update(f"i:{h.id}" for h in r.indicators)
    keys.update(f"p:{p.place_id}" for p in r.places if p.precision not in ("country", "region"))
    return sorted(keys)


@dataclass
class Signals:
    report_id: str
    published: datetime | None
    language: str | None
    sig: np.ndarray
    vec: np.ndarray | None
    keys: list[str]
    story: str | None = None
    month_only: bool = False  # the publication date is known to the month only


def _window(a: Signals, b: Signals) -> timedelta:
    return WINDOW + (MONTH if a.month_only or b.month_only else timedelta(0))


def _idf(conn: Connection, keys: Iterable[str], total: int) -> dict[str, float]:
    keys = list(keys)
    df: dict[str, int] = {}
    if keys:
        df = {k: n for k, n in conn.execute(
            select(feature_df.c.feature, feature_df.c.df).where(feature_df.c.feature.in_(keys)))}
    return {k: (math.log((total + 1) / (df.get(k, 0) + 1)) + 1.0) * (ANCHOR_WEIGHT if k.startswith("a:") else 1.0)
            for k in keys}


def _wjaccard(a: set[str], b: set[str], idf: dict[str, float]) -> float:
    union = a | b
    if not union:
        return 0.0
    return sum(idf.get(k, 1.0) for k in a & b) / sum(idf.get(k, 1.0) for k in union)


def similarity(a: Signals, b: Signals, idf: dict[str, float]) -> float:
    wj = _wjaccard(set(a.keys), set(b.keys), idf)
    if a.vec is None or b.vec is None:
        return wj
    alpha = 0.5 if a.language in embed.COVERED and b.language in embed.COVERED else 0.2
    return alpha * float(np.dot(a.vec, b.vec)) + (1 - alpha) * wj


def _link(sims: list[float]) -> float:
    """A story's score for a report: its best link, tempered by the second best when there is one
    (one accidental strong link to a big story should not be enough to join it)."""
    top = sorted(sims, reverse=True)[:2]
    return top[0] if len(top) == 1 else (1 - SECOND) * top[0] + SECOND * top[1]


def _resolve(conn: Connection, story: str | None) -> str | None:
    seen = set()
    while story and story not in seen:
        seen.add(story)
        nxt = conn.execute(select(stories.c.merged_into).where(stories.c.id == story)).scalar()
        if not nxt:
            return story
        story = nxt
    return story


def _candidates(conn: Connection, s: Signals) -> dict[str, Signals]:
    """Earlier reports sharing an LSH bucket or a blocking key inside the window."""
    ids: set[str] = set()
    for band, bucket in minhash.buckets(s.sig):
        ids.update(conn.execute(select(lsh_buckets.c.report_id).where(
            lsh_buckets.c.band == band, lsh_buckets.c.bucket == bucket)).scalars())
    for key in s.keys:
        q = select(feature_index.c.report_id).where(feature_index.c.feature == key)
        if s.published is not None:
            wide = WINDOW + MONTH  # month-only dates are compared in Python with their own window
            q = q.where(or_(feature_index.c.published.is_(None), and_(
                feature_index.c.published >= s.published - wide, feature_index.c.published <= s.published + wide)))
        ids.update(conn.execute(q.order_by(feature_index.c.published.desc()).limit(PER_KEY)).scalars())
    ids.discard(s.report_id)
    if not ids:
        return {}
    rows = conn.execute(select(story_signals, reports.c.language, reports.c.story, reports.c.published_source).join(
        reports, reports.c.id == story_signals.c.report_id).where(story_signals.c.report_id.in_(list(ids)))).mappings()
    return {r["report_id"]: Signals(r["report_id"], utc(r["published"]), r["language"],
                                    minhash.from_bytes(r["minhash"]),
                                    embed.from_bytes(r["embedding"]), list(r["features"]), r["story"],
                                    r["published_source"] == "month") for r in rows}


def _copy_of(conn: Connection, s: Signals, cands: dict[str, Signals]) -> tuple[str | None, float]:
    """The earliest version this report copies (following copies back to their original)."""
    copies = [(c, minhash.similarity(s.sig, c.sig)) for c in cands.values()]
    copies = [(c, sim) for c, sim in copies if sim >= minhash.COPY_THRESHOLD
              and not (s.published and c.published and c.published > s.published)]
    if not copies:
        return None, 0.0
    first, sim = min(copies, key=lambda cs: (cs[0].published is None, cs[0].published or 0, cs[0].report_id))
    root = conn.execute(select(story_signals.c.copy_of).where(story_signals.c.report_id == first.report_id)).scalar()
    return (root or first.report_id), sim


def assign(conn: Connection, rep: Report, vec: np.ndarray | None) -> tuple[str, list[str]]:
    """Store a report's signals and give it a story; returns (story id, stories merged into it)."""
    sig = minhash.signature(rep.text)
    s = Signals(rep.id, rep.published, rep.language, sig, vec, features(rep),
                month_only=rep.published_source == "month")
    cands = _candidates(conn, s)
    copy_of, copy_sim = _copy_of(conn, s, cands)
    total = conn.execute(select(feature_df.c.df).where(feature_df.c.feature == TOTAL)).scalar() or 0
    idf = _idf(conn, set(s.keys).union(*(c.keys for c in cands.values())), total)
    links: dict[str, list[float]] = {}
    for c in cands.values():
        st = _resolve(conn, c.story)
        if st is None:
            continue
        sim = 1.0 if c.report_id == copy_of else similarity(s, c, idf)
        if c.report_id != copy_of and s.published and c.published and abs(s.published - c.published) > _window(s, c):
            sim = 0.0
        links.setdefault(st, []).append(sim)
    scores = {st: _link(sims) for st, sims in links.items()}
    if copy_of and (root_story := _resolve(conn, conn.execute(
            select(reports.c.story).where(reports.c.id == copy_of)).scalar())):
        scores[root_story] = 1.0
    ranked = sorted(((v, k) for k, v in scores.items() if v >= JOIN), reverse=True)
    merged: list[str] = []
    if ranked:
        story = ranked[0][1]
        for v, other in ranked[1:]:
            if v >= MERGE:
                merged.append(other)
        if merged:  # the oldest story keeps its id
            firsts: dict[str, datetime | None] = {sid: utc(first) for sid, first in conn.execute(
                select(stories.c.id, stories.c.first_seen).where(stories.c.id.in_([story, *merged])))}
            never = datetime.max.replace(tzinfo=UTC)
            ordered = sorted([story, *merged], key=lambda x: (firsts.get(x) or never, x))
            story, merged = ordered[0], ordered[1:]
            conn.execute(update(stories).where(stories.c.id.in_(merged)).values(merged_into=story))
            conn.execute(update(reports).where(reports.c.story.in_(merged)).values(story=story))
    else:
        story = f"s-{rep.id[:12]}"
    conn.execute(story_signals.insert().values(
        report_id=rep.id, published=rep.published, minhash=minhash.to_bytes(sig),
        embedding=embed.to_bytes(vec) if vec is not None else None, features=s.keys, copy_of=copy_of,
        copy_similarity=copy_sim or None))
    conn.execute(lsh_buckets.insert(), [{"band": b, "bucket": k, "report_id": rep.id} for b, k in minhash.buckets(sig)])
    if s.keys:
        conn.execute(feature_index.insert(), [{"feature": k, "report_id": rep.id, "published": rep.published}
                                              for k in s.keys])
    _bump_df(conn, [*s.keys, TOTAL])  # TOTAL counts reports: a COUNT(*) would grow with the store
    conn.execute(update(reports).where(reports.c.id == rep.id).values(story=story))
    return story, merged


def _bump_df(conn: Connection, keys: list[str]) -> None:
    existing = set(conn.execute(select(feature_df.c.feature).where(feature_df.c.feature.in_(keys))).scalars())
    if existing:
        conn.execute(update(feature_df).where(feature_df.c.feature.in_(existing)).values(df=feature_df.c.df + 1))
    new = [k for k in keys if k not in existing]
    if new:
        conn.execute(feature_df.insert(), [{"feature": k, "df": 1} for k in new])


def pending(conn: Connection) -> list[str]:
    """Reports without story signals yet, oldest first. ``assign`` sets a report's story and its signals in
    one transaction, so the indexed ``story IS NULL`` finds them without scanning the whole store."""
    q = select(reports.c.id).outerjoin(story_signals, story_signals.c.report_id == reports.c.id).where(
        reports.c.story.is_(None), story_signals.c.report_id.is_(None)).order_by(
        reports.c.published.is_(None), reports.c.published, reports.c.id)
    return list(conn.execute(q).scalars())
