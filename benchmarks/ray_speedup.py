"""Speed-up of the Ray engine with N workers over the local engine, ingesting the same 600-word reports
(full analysis, no embeddings) into fresh SQLite stores.

Both engines start warm: the local engine after ``warm`` has loaded its models, the Ray engine after
its workers have loaded theirs (the start-up time is printed apart). The two run in turn, ``--rounds``
times, each round on new documents: this machine's speed drifts by ±15% from one minute to the next,
so one pair of runs can be off by that much; each round's ratio is printed and the median is the
figure. Target: >= 1.7x with 2 workers on a 2-core machine.

    python -m benchmarks.ray_speedup [--n 1000] [--workers 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import result_option, save_result
from benchmarks.generate import docs
from escwatch.analyse.context import Context, make_context
from escwatch.analyse.pipeline import warm
from escwatch.engine import ingest_docs
from escwatch.engine.ray_engine import RayEngine
from escwatch.store import open_store


def rate(n: int, db: Path, start: int, ctx: Context, engine: RayEngine | None = None) -> float:
    """Reports per second ingesting ``n`` documents into a new store at ``db``."""
    store = open_store(f"sqlite:///{db}")
    t0 = time.perf_counter()
    got = ingest_docs(docs(n, start=start), store, ctx, mapper=engine)
    took = time.perf_counter() - t0
    store.close()
    assert got.new == n, got.as_dict()
    return n / took


def run(n: int, workers: int = 2, rounds: int = 3, out=print) -> dict[str, object]:  # type: ignore[no-untyped-def]
    folder = Path(tempfile.mkdtemp(prefix="escwatch-ray-"))
    ctx = make_context()
    warm(ctx)  # the same warm start as each Ray worker's
    t0 = time.perf_counter()
    with RayEngine(workers=workers) as engine:
        start = time.perf_counter() - t0
        out(f"Ray and {workers} workers started in {start:.1f} s (not counted)")
        rows = []
        for r in range(rounds):
            local = rate(n, folder / f"local{r}.db", r * n, ctx)
            remote = rate(n, folder / f"ray{r}.db", r * n, ctx, engine)
            rows.append({"local_rate": local, "ray_rate": remote, "speedup": remote / local})
            out(f"round {r + 1}: local engine {local:6.1f} reports/s, Ray engine ({workers} workers) "
                f"{remote:6.1f} reports/s, speed-up {remote / local:.2f}x")
    speedup = statistics.median(r["speedup"] for r in rows)
    out(f"speed-up (median of {rounds} rounds of {n} reports): {speedup:.2f}x")
    return {"reports": n, "workers": workers, "rounds": rows, "speedup": speedup, "ray_start_s": start,
            "local_rate": statistics.median(r["local_rate"] for r in rows),
            "ray_rate": statistics.median(r["ray_rate"] for r in rows)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    result_option(ap)
    args = ap.parse_args()
    save_result(args.result, run(args.n, args.workers, args.rounds))


if __name__ == "__main__":
    main()
