"""Speed-up of the Ray engine with N workers over the local engine, ingesting the same 600-word reports
(full analysis, no embeddings) into fresh SQLite stores.

Both runs start warm: the local engine after one analysis has loaded its models, the Ray engine
after its workers have loaded theirs (the start-up time is printed apart). Target: >= 1.7x with 2
workers on a 2-core machine.

    python -m benchmarks.ray_speedup [--n 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks import result_option, save_result
from benchmarks.generate import docs
from escwatch.analyse.context import make_context
from escwatch.analyse.pipeline import warm
from escwatch.engine import ingest_docs
from escwatch.engine.ray_engine import RayEngine
from escwatch.store import open_store


def run(n: int, workers: int = 2, out=print) -> dict[str, float]:  # type: ignore[no-untyped-def]
    folder = Path(tempfile.mkdtemp(prefix="escwatch-ray-"))
    ctx = make_context()
    warm(ctx)  # the same warm start as each Ray worker's

    store = open_store(f"sqlite:///{folder / 'local.db'}")
    t0 = time.perf_counter()
    a = ingest_docs(docs(n), store, ctx)
    local = time.perf_counter() - t0
    store.close()

    t0 = time.perf_counter()
    with RayEngine(workers=workers) as engine:
        start = time.perf_counter() - t0
        store = open_store(f"sqlite:///{folder / 'ray.db'}")
        t0 = time.perf_counter()
        b = ingest_docs(docs(n), store, ctx, mapper=engine)
        remote = time.perf_counter() - t0
        store.close()
    assert a.new == b.new == n, (a.as_dict(), b.as_dict())
    row = {"reports": n, "workers": workers, "local_rate": n / local, "ray_rate": n / remote,
           "speedup": local / remote, "ray_start_s": start}
    out(f"local engine (1 process):  {row['local_rate']:7.1f} reports/s")
    out(f"Ray engine ({workers} workers):    {row['ray_rate']:7.1f} reports/s  "
        f"(Ray and workers started in {start:.1f} s, not counted)")
    out(f"speed-up:                  {row['speedup']:7.2f}x")
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    result_option(ap)
    args = ap.parse_args()
    save_result(args.result, run(args.n, args.workers))


if __name__ == "__main__":
    main()
