"""Cost of adding one report as the store grows (10k, 100k, 1M generated reports).

The background store is generated in bulk (reports with story signals: MinHash bands, blocking
keys, embeddings, spread over the years at a steady daily volume), then ``--probe`` analysed reports
(real analyses of generated texts, see ``generate.py``) are added one at a time as ``escwatch
ingest`` adds them — stored, then ``update_stories`` (pending reports, embedding, story assignment,
story refresh) — and the mean time per report is printed at every size with its ratio to the
first size (target <= 1.5x) and the process's peak memory. Analysis itself costs the same at any
size and is measured by ``analyse_throughput.py``.

    python -m benchmarks.stories_scale [--sizes 10000,100000,1000000] [--probe 100]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from benchmarks import result_option, save_result
from benchmarks.generate import copies, templates
from escwatch.records import Report
from escwatch.store import open_store
from escwatch.store.schema import feature_df, feature_index, lsh_buckets, reports, stories, story_signals
from escwatch.stories import cluster, minhash
from escwatch.stories.embed import to_bytes

PER_DAY = 200
VOCAB = 5000
START = datetime(2015, 1, 1, tzinfo=UTC)


def _keys(rng: random.Random) -> list[str]:
    n = rng.randint(3, 9)
    return sorted({f"e:ent{int(rng.paretovariate(1.2)) % VOCAB}" for _ in range(n)} | {f"i:ind{rng.randint(0, 9)}"})


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


def probe(store, pack, pool: list[Report], n: int, at: int) -> float:  # type: ignore[no-untyped-def]
    """Mean seconds to add one analysed report the way ``escwatch ingest`` does: store it, then update
    the stories (find what is pending, embed, assign, refresh the touched story)."""
    from escwatch.stories import update_stories

    total = 0.0
    for rep in copies(pool, n, start=at + 10_000_000):
        rep = replace(rep, published=START + timedelta(days=at // PER_DAY, minutes=rep.published.minute))
        t0 = time.perf_counter()
        store.add_reports([rep])
        update_stories(store, pack)
        total += time.perf_counter() - t0
    return total / n


def run(sizes: list[int], n_probe: int, folder: Path, out=print) -> list[dict[str, float]]:  # type: ignore[no-untyped-def]
    """Fill a store to each size in turn and measure the cost of adding a report there."""
    from escwatch.analyse.context import make_context

    rng = random.Random(7)
    ctx = make_context()
    pool = templates(ctx)
    store = open_store(f"sqlite:///{folder / 'scale.db'}")
    probe(store, ctx.pack, pool, 5, 0)  # warm-up: the embedding model, caches
    out(f"{'reports':>10} {'fill s':>8} {'add ms':>8} {'ratio':>6} {'peak MB':>8}")
    rows, have, base = [], 0, 0.0
    for size in sizes:
        t0 = time.perf_counter()
        fill(store, have, size, rng)
        filled = time.perf_counter() - t0
        have = size
        per = probe(store, ctx.pack, pool, n_probe, size)
        base = base or per
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append({"reports": size, "fill_s": filled, "add_ms": per * 1000, "ratio": per / base, "peak_mb": peak})
        out(f"{size:>10} {filled:>8.1f} {per * 1000:>8.2f} {per / base:>6.2f} {peak:>8.0f}")
    store.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--probe", type=int, default=100)
    ap.add_argument("--dir", default=None, help="where the SQLite file goes [default: a temp folder]")
    result_option(ap)
    args = ap.parse_args()
    folder = Path(args.dir or tempfile.mkdtemp(prefix="escwatch-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"store: {folder / 'scale.db'}; {PER_DAY} reports/day; {args.probe} reports added at each size")
    save_result(args.result, {"rows": run([int(x) for x in args.sizes.split(",")], args.probe, folder)})


if __name__ == "__main__":
    main()
