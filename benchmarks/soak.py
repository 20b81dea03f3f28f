"""Soak test: ``escwatch watch`` on a folder that a writer keeps filling, ``escwatch serve`` over the same
store and a load generator, all on loopback, for ``--minutes`` (10 by default).

Reported: reports ingested, errors (non-200 answers, failed documents in the watch log, processes that
died), RSS of the watch and serve processes (serve: with its worker processes) and API latency p50/p95
over the first and the last fifth of the run (measured once the watcher has ingested its first new
report: loading its models is warm-up). ``--short`` (= ``--minutes 0.5``) is the CI mode that
tests/test_soak.py runs; ``--json`` prints the figures as one JSON object.

    python benchmarks/soak.py [--minutes 10] [--clients 8] [--workers 1] [--write-every 1.0] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.api_load import Connection, free_port

PLACES = ("Plesetsk", "Kaliningrad", "Belgorod", "Engels", "Severomorsk", "Kapustin Yar", "Novaya Zemlya",
          "Vilyuchinsk")
WHAT = ("held a drill of its strategic nuclear forces", "moved a train of the 12th GUMO", "announced a missile test",
        "warned of a nuclear response", "put bombers on alert", "denied any nuclear preparation")
OUTLETS = ("Soak Wire", "Loopback Post", "Test Courier", "Synthetic Herald")
WORDS = ("nuclear", "drill", "train", "missile", "bombers", "alert", "ministry", *PLACES)


def write_report(folder: Path, n: int, rnd: random.Random) -> None:
    """One new report, written whole (to a hidden name, then renamed) so the watcher never reads half."""
    day = 1 + n % 28
    body = (f"Moscow, {day} November 2022. The Russian defence ministry {rnd.choice(WHAT)} near "
            f"{rnd.choice(PLACES)}, officials said on report {n} (serial {rnd.getrandbits(48):x}). "
            f"Western officials said they had seen no change in posture.\n\nBron: {rnd.choice(OUTLETS)}\n")
    tmp = folder / f".soak-{n:06d}.txt.part"
    tmp.write_text(f"Soak report {n}\n\n{body}")
    tmp.rename(folder / f"soak-{n:06d}.txt")


def rss_mb(proc: psutil.Process) -> float:
    """RSS of a process and its children, in MB (0 when it is gone)."""
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total / 2**20


def quantiles(ms: list[float]) -> dict[str, float | int | None]:
    if len(ms) < 2:
        return {"n": len(ms), "p50": None, "p95": None}
    return {"n": len(ms), "p50": round(statistics.median(ms), 1), "p95": round(statistics.quantiles(ms, n=20)[18], 1)}


async def drive(port: int, clients: int, until: float, samples: list[tuple[float, str, float, int]],
                errors: list[str]) -> None:
    """``clients`` connections asking the main endpoints (varied parameters) until ``until``."""
    rnd = random.Random(5)
    ids: list[str] = []

    def path(name: str) -> str:
        if name == "report" and ids:
            return f"/api/reports/{rnd.choice(ids)}"
        return {"overview": "/api/overview", "stories": f"/api/stories?page={rnd.randint(1, 3)}&size=20",
                "search": f"/api/search?q={quote(rnd.choice(WORDS))}&page={rnd.randint(1, 2)}",
                "observations": f"/api/observations?page={rnd.randint(1, 3)}", "health": "/api/health",
                "report": "/api/search?q=soak&size=50"}[name]

    async def client() -> None:
        conn = Connection("127.0.0.1", port)
        names = ("overview", "stories", "search", "observations", "health", "report")
        try:
            while time.monotonic() < until:
                name = rnd.choice(names)
                target = path(name)
                status, body, ms = await conn.timed_get(target)
                samples.append((time.monotonic(), name, ms, status))
                if status != 200:
                    errors.append(f"{target}: HTTP {status} {body[:160]!r}")
                    await asyncio.sleep(0.2)
                elif target.startswith("/api/search?q=soak"):
                    ids[:] = [item["id"] for item in json.loads(body)["items"]]
        finally:
            await conn.close()

    await asyncio.gather(*(client() for _ in range(clients)))


def health(port: int) -> int | None:
    async def ask() -> int | None:
        conn = Connection("127.0.0.1", port)
        try:
            status, body = await conn.get("/api/health")
            return int(json.loads(body)["reports"]) if status == 200 else None
        except (OSError, asyncio.IncompleteReadError, ValueError):
            return None
        finally:
            await conn.close()

    return asyncio.run(ask())


def watch_log(path: Path) -> dict[str, int]:
    """Cycles, new and failed documents and error lines of the watch log (JSON lines: time, level, log)."""
    out = {"cycles": 0, "new": 0, "failed": 0, "error_lines": 0}
    if not path.exists():
        return out
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            out["error_lines"] += "Traceback" in line
            continue
        if str(entry.get("level", "")).upper() in ("ERROR", "CRITICAL"):
            out["error_lines"] += 1
        cycle = entry.get("log")
        if isinstance(cycle, dict) and cycle.get("event") == "cycle":
            out["cycles"] += 1
            out["new"] += int(cycle.get("new", 0))
            out["failed"] += int(cycle.get("failed", 0))
    return out


def soak(minutes: float, clients: int, workers: int, write_every: float, root: Path) -> dict[str, Any]:
    db, inbox, log = root / "soak.db", root / "inbox", root / "watch.jsonl"
    inbox.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(11)
    for n in range(20):  # something to serve from the first second
        write_report(inbox, n, rnd)
    env = {**os.environ, "ESCWATCH_TOKEN": ""}
    escwatch = [sys.executable, "-m", "escwatch", "--db", str(db)]
    subprocess.run([*escwatch, "ingest", str(inbox)], check=True, env=env, stdout=subprocess.DEVNULL, timeout=600)
    port = free_port()
    with open(root / "watch.err", "w") as watch_err, open(root / "serve.err", "w") as serve_err:
        watch = subprocess.Popen([*escwatch, "watch", "--folder", str(inbox), "--interval", "2", "--log", str(log)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=watch_err)
        serve = subprocess.Popen([*escwatch, "serve", "--port", str(port), "--workers", str(workers)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=serve_err)
    procs = {"watch": psutil.Process(watch.pid), "serve": psutil.Process(serve.pid)}
    memory: dict[str, list[tuple[float, float]]] = {"watch": [], "serve": []}
    samples: list[tuple[float, str, float, int]] = []
    errors: list[str] = []
    stop = threading.Event()
    written = [20]
    try:
        deadline = time.monotonic() + 300
        while (first := health(port)) is None:
            if time.monotonic() > deadline or serve.poll() is not None:
                raise SystemExit("the server did not start: " + (root / "serve.err").read_text()[-2000:])
            time.sleep(0.3)

        def writer() -> None:
            while not stop.wait(write_every):
                write_report(inbox, written[0], rnd)
                written[0] += 1

        def sampler() -> None:
            while True:
                now = time.monotonic()
                for name, proc in procs.items():
                    memory[name].append((now, rss_mb(proc)))
                if stop.wait(2.0):
                    break

        threads = [threading.Thread(target=writer, daemon=True), threading.Thread(target=sampler, daemon=True)]
        for t in threads:
            t.start()
        while (health(port) or 0) <= first:  # warm-up, not measured: the watcher loads its models
            if time.monotonic() > deadline or watch.poll() is not None:
                raise SystemExit("the watcher ingested nothing: " + (root / "watch.err").read_text()[-2000:])
            time.sleep(0.5)
        begin = time.monotonic()
        asyncio.run(drive(port, clients, begin + minutes * 60, samples, errors))
        end = time.monotonic()
        stop.set()
        for t in threads:
            t.join(10)
        time.sleep(3)  # the last written files: one more watch cycle
        last = health(port)
        died = [f"{name} exited with {p.returncode}" for name, p in (("watch", watch), ("serve", serve))
                if p.poll() is not None]
    finally:
        stop.set()
        watch.send_signal(signal.SIGINT)
        serve.send_signal(signal.SIGTERM)
        for p in (watch, serve):
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
    fifth = (end - begin) / 5

    def window(lo: float, hi: float) -> dict[str, Any]:
        return quantiles([ms for t, _, ms, _ in samples if lo <= t - begin < hi])

    def mem(name: str) -> dict[str, float]:
        values = [mb for t, mb in memory[name] if t >= begin]
        head = [mb for t, mb in memory[name] if t - begin < fifth] or values[:1]
        tail = [mb for t, mb in memory[name] if t - begin >= 4 * fifth] or values[-1:]
        return {"start_mb": round(statistics.median(head), 1), "end_mb": round(statistics.median(tail), 1),
                "max_mb": round(max(values), 1)}

    wlog = watch_log(log)
    return {"minutes": round((end - begin) / 60, 2), "clients": clients, "workers": workers,
            "requests": len(samples), "reports_start": first, "reports_end": last, "files_written": written[0],
            "ingested": (last or 0) - first, "watch": {**mem("watch"), **wlog}, "serve": mem("serve"),
            "latency_start": window(0, fifth), "latency_end": window(4 * fifth, end - begin + 1),
            "http_errors": len(errors), "error_examples": errors[:5], "died": died,
            "stderr": {n: (root / f"{n}.err").read_text()[-1000:] for n in ("watch", "serve")}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--short", action="store_true", help="CI mode: half a minute")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1, help="server processes")
    ap.add_argument("--write-every", type=float, default=1.0, help="seconds between new reports")
    ap.add_argument("--dir", type=Path, help="working folder (default: a new temporary one)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="escwatch-soak-"))
    out = soak(0.5 if args.short else args.minutes, args.clients, args.workers, args.write_every, root)
    if args.json:
        print(json.dumps(out))
        return
    print(f"{out['minutes']} min, {out['clients']} clients, {out['workers']} server process(es), "
          f"{out['requests']} requests, {out['http_errors']} errors, died: {out['died'] or 'none'}")
    print(f"reports {out['reports_start']} -> {out['reports_end']} ({out['ingested']} ingested of "
          f"{out['files_written']} written; watch: {out['watch']['cycles']} cycles, {out['watch']['failed']} failed)")
    for name in ("watch", "serve"):
        m = out[name]
        print(f"RSS {name:<6} start {m['start_mb']} MB, end {m['end_mb']} MB, max {m['max_mb']} MB")
    for name in ("latency_start", "latency_end"):
        q = out[name]
        print(f"{name:<14} p50 {q['p50']} ms, p95 {q['p95']} ms over {q['n']} requests")


if __name__ == "__main__":
    main()
