"""Cost of adding one report to the stories as the store grows (10k, 100k, 1M generated reports).

The background store is generated in bulk (reports with story signals: MinHash bands, blocking
keys, embeddings, spread over the years at a steady daily volume), then the time to add each of
``--probe`` fresh reports with ``cluster.assign`` is measured at every size and printed as a
ratio to the first size (target <= 1.5x), with the process's peak memory.

    python benchmarks/stories_scale.py [--sizes 10000,100000,1000000] [--probe 200]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from escwatch.records import Report
from escwatch.store import open_store
from escwatch.store.schema import feature_df, feature_index, lsh_buckets, reports, stories, story_signals
from escwatch.stories import cluster, minhash
from escwatch.stories.embed import to_bytes

PER_DAY = 200
VOCAB = 5000
START = datetime(2015, 1, 1, tzinfo=UTC)
WORDS = [f"w{i}" for i in range(3000)]


def _keys(rng: random.Random) -> list[str]:
    n = rng.randint(3, 9)
    return sorted({f"e:ent{int(rng.paretovariate(1.2)) % VOCAB}" for _ in range(n)} | {f"i:ind{rng.randint(0, 9)}"})


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(120))


def fill(store, start: int, stop: int, rng: random.Random, chunk: int = 5000) -> None:  # type: ignore[no-untyped-def]
    """Bulk-insert generated reports ``start..stop`` with their signals and one story each."""
    df: dict[str, int] = {}
    with store.engine.connect() as conn:  # counts so far, so that a second fill adds to them
        df = {k: n for k, n in conn.execute(select(feature_df.c.feature, feature_df.c.df))
              if k != cluster.TOTAL}
    for a in range(start, stop, chunk):
        rows, sig_rows, bucket_rows, key_rows, story_rows = [], [], [], [], []
        for i in range(a, min(stop, a + chunk)):
            rid = f"{i:012x}{rng.getrandbits(208):052x}"
            when = START + timedelta(days=i // PER_DAY, minutes=i % PER_DAY)
            sig = np.frombuffer(rng.randbytes(4 * minhash.NUM_PERM), dtype=np.uint32)
            vec = np.asarray([rng.gauss(0, 1) for _ in range(64)] * 8, dtype=np.float32)
            vec /= np.linalg.norm(vec)
            keys = _keys(rng)
            sid = f"s-{rid[:12]}"
            rows.append({"id": rid, "source": f"gen:{i}", "raw_text": "", "text": "", "published": when,
                         "language": "en", "story": sid, "ingested_at": when})
            sig_rows.append({"report_id": rid, "published": when, "minhash": minhash.to_bytes(sig),
                             "embedding": to_bytes(vec), "features": keys, "copy_of": None, "copy_similarity": None})
            bucket_rows += [{"band": b, "bucket": k, "report_id": rid} for b, k in minhash.buckets(sig)]
            key_rows += [{"feature": k, "report_id": rid, "published": when} for k in keys]
            story_rows.append({"id": sid, "title": None, "first_seen": when, "last_seen": when, "size": 1,
                               "languages": ["en"], "outlets": [], "origins": [], "independent_origins": 1,
                               "merged_into": None, "updated_at": when})
            for k in keys:
                df[k] = df.get(k, 0) + 1
        with store.engine.begin() as conn:
            conn.execute(insert(reports), rows)
            conn.execute(insert(story_signals), sig_rows)
            conn.execute(insert(lsh_buckets), bucket_rows)
            conn.execute(insert(feature_index), key_rows)
            conn.execute(insert(stories), story_rows)
    with store.engine.begin() as conn:
        conn.execute(feature_df.delete())
        conn.execute(insert(feature_df), [{"feature": k, "df": n} for k, n in df.items()]
                     + [{"feature": cluster.TOTAL, "df": stop}])


def probe(store, n: int, at: int, rng: random.Random) -> float:  # type: ignore[no-untyped-def]
    """Mean seconds to add one new report (dated at the end of the store's time range)."""
    from escwatch.records import IndicatorHit, Mention

    total = 0.0
    for j in range(n):
        when = START + timedelta(days=at // PER_DAY, minutes=j)
        keys = _keys(rng)
        ments = tuple(Mention(k, 0, 1, k[2:], k[2:], "person") for k in keys if k.startswith("e:"))
        inds = tuple(IndicatorHit(k[2:], 0.5, "", 0, 1) for k in keys if k.startswith("i:"))
        rep = Report(id=f"p{at:012d}{j:051d}", source="probe", raw_text="", text=_text(rng), published=when,
                     language="en", mentions=ments, indicators=inds)
        vec = np.asarray([rng.gauss(0, 1) for _ in range(512)], dtype=np.float32)
        vec /= np.linalg.norm(vec)
        with store.engine.begin() as conn:
            conn.execute(insert(reports).values(id=rep.id, source="probe", raw_text="", text="", published=when,
                                                language="en", ingested_at=when))
            t0 = time.perf_counter()
            cluster.assign(conn, rep, vec)
            total += time.perf_counter() - t0
    return total / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--probe", type=int, default=200)
    ap.add_argument("--dir", default=None, help="where the SQLite file goes [default: a temp folder]")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    rng = random.Random(7)
    folder = Path(args.dir or tempfile.mkdtemp(prefix="escwatch-scale-"))
    store = open_store(f"sqlite:///{folder / 'scale.db'}")
    print(f"store: {folder / 'scale.db'}; {PER_DAY} reports/day; probe {args.probe} reports per size")
    print(f"{'reports':>10} {'fill s':>8} {'add ms':>8} {'ratio':>6} {'peak MB':>8}")
    have, base = 0, None
    for size in sizes:
        t0 = time.perf_counter()
        fill(store, have, size, rng)
        filled = time.perf_counter() - t0
        have = size
        per = probe(store, args.probe, size, rng)
        base = base or per
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{size:>10} {filled:>8.1f} {per * 1000:>8.2f} {per / base:>6.2f} {peak:>8.0f}")


if __name__ == "__main__":
    main()
