"""Peak memory while streaming 1M generated reports through the ingest path into a SQLite store.

Documents are generated one at a time (``generate.docs``), parsed for real, given a template's
analysis (``generate.template_mapper``: the analysis itself is per report and bounded, and 1M full
analyses would take hours on one core), batched, stored with their mentions, places, quotes, claims
and indicators, and counted by ``ingest_items`` exactly as ``escwatch ingest`` does. The process's
peak resident memory (ru_maxrss) is printed beside the count (target <= 1.5 GB at 1M).

    python -m benchmarks.stream_memory [--n 1000000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from benchmarks import result_option, save_result
from benchmarks.generate import docs, template_mapper, templates
from escwatch.analyse.context import make_context
from escwatch.engine.local import ingest_items
from escwatch.ingest.live import Item
from escwatch.store import open_store


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, folder: Path, words: int = 80, out=print) -> dict[str, float]:  # type: ignore[no-untyped-def]
    ctx = make_context()
    pool = templates(ctx, words=words)
    store = open_store(f"sqlite:///{folder / 'stream.db'}")
    before = peak_mb()
    t0, seen = time.perf_counter(), 0

    def progress(_item: Item) -> None:
        nonlocal seen
        seen += 1
        if seen % 100_000 == 0:
            out(f"  {seen:>9} reports  {time.perf_counter() - t0:7.0f} s  peak {peak_mb():6.0f} MB")

    res = ingest_items((Item("", d) for d in docs(n, words)), store, ctx, batch_size=256,
                       progress=progress, mapper=template_mapper(pool))
    took = time.perf_counter() - t0
    size = (folder / "stream.db").stat().st_size / 1e9
    store.close()
    row = {"reports": res.new, "seconds": took, "rate": res.new / took, "peak_mb": peak_mb(),
           "start_mb": before, "store_gb": size}
    out(f"streamed {res.new} reports in {took:.0f} s ({row['rate']:.0f}/s); store {size:.1f} GB; "
        f"peak memory {row['peak_mb']:.0f} MB (after loading packs and models: {before:.0f} MB)")
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dir", default=None, help="where the SQLite file goes [default: a temp folder]")
    result_option(ap)
    args = ap.parse_args()
    folder = Path(args.dir or tempfile.mkdtemp(prefix="escwatch-stream-"))
    folder.mkdir(parents=True, exist_ok=True)
    save_result(args.result, run(args.n, folder))


if __name__ == "__main__":
    main()
