"""All the benchmarks in one run, each in its own process (so each peak memory is its own), then a
table of the figures against their targets.

    python -m benchmarks            # the full run (1M-report sections: about half an hour)
    python -m benchmarks --quick    # smaller sizes, a few minutes
    python -m benchmarks --only throughput,ray --json results.json

How each figure is made: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# name: (module, full-run arguments, quick-run arguments)
SECTIONS: dict[str, tuple[str, list[str], list[str]]] = {
    "throughput": ("benchmarks.analyse_throughput", ["--n", "300"], ["--n", "100"]),
    "incremental": ("benchmarks.stories_scale", ["--sizes", "10000,100000,1000000", "--probe", "50"],
                    ["--sizes", "10000,50000", "--probe", "20"]),
    "memory": ("benchmarks.stream_memory", ["--n", "1000000"], ["--n", "50000"]),
    "stores": ("benchmarks.store_rates", ["--n", "5000"], ["--n", "1000"]),
    "ray": ("benchmarks.ray_speedup", ["--n", "1000", "--workers", "2"], ["--n", "200", "--workers", "2"]),
}


def run_section(name: str, quick: bool, folder: Path) -> dict[str, Any] | None:
    module, full, short = SECTIONS[name]
    result = folder / f"{name}.json"
    args = [sys.executable, "-m", module, *(short if quick else full), "--result", str(result)]
    if name in ("incremental", "memory"):
        args += ["--dir", str(folder / name)]
    print(f"\n== {name}: python -m {module} {' '.join(short if quick else full)}", flush=True)
    t0 = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    shutil.rmtree(folder / name, ignore_errors=True)  # the 1M-report stores take gigabytes
    print(f"   ({time.perf_counter() - t0:.0f} s)", flush=True)
    if done.returncode != 0 or not result.exists():
        print(f"   {name} FAILED (exit {done.returncode})")
        return None
    data: dict[str, Any] = json.loads(result.read_text())
    return data


def summary(res: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(figure, value, target) rows for whatever ran."""
    rows: list[tuple[str, str, str]] = []
    if t := res.get("throughput"):
        rows += [("analysis, reports/s on one core (600 words)", f"{t['rate']:.0f}", ">= 300"),
                 ("  read + regex-tokenise bound, reports/s", f"{t['bound']:.0f}", ""),
                 ("  ratio analysis / bound", f"{t['ratio']:.1f}x slower", "")]
    if inc := res.get("incremental"):
        for r in inc["rows"]:
            rows.append((f"adding one report at {r['reports']:,} reports, ms", f"{r['add_ms']:.1f} "
                         f"({r['ratio']:.2f}x)", "<= 1.5x the first size"))
    if m := res.get("memory"):
        rows.append((f"peak memory streaming {m['reports']:,} reports, MB", f"{m['peak_mb']:.0f}",
                     "<= 1536 at 1M"))
        rows.append(("  streaming rate, reports/s (template analysis)", f"{m['rate']:.0f}", ""))
    if s := res.get("stores"):
        rows.append(("ingest into SQLite, reports/s (store-bound)", f"{s['sqlite']:.0f}", ""))
        pg = s.get("postgresql")
        rows.append(("ingest into PostgreSQL, reports/s (store-bound)", f"{pg:.0f}" if pg else "skipped", ""))
    if r := res.get("ray"):
        rows.append((f"Ray speed-up, {r['workers']} workers vs local engine", f"{r['speedup']:.2f}x", ">= 1.7x"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (minutes, not half an hour)")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"sections to run, of {','.join(SECTIONS)}")
    ap.add_argument("--json", dest="json_out", default=None, help="also write all figures to this file")
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    print(f"escwatch benchmarks on {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}"
          f"{' (quick)' if args.quick else ''}")
    with tempfile.TemporaryDirectory(prefix="escwatch-bench-") as tmp:
        res = {n: r for n in names if (r := run_section(n, args.quick, Path(tmp))) is not None}
    rows = summary(res)
    width = max(len(f) for f, _, _ in rows) if rows else 0
    print("\n" + "figure".ljust(width) + "  value                target")
    for figure, value, target in rows:
        print(f"{figure.ljust(width)}  {value:<20} {target}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(res, indent=2) + "\n")
    sys.exit(0 if len(res) == len(names) else 1)


if __name__ == "__main__":
    main()
