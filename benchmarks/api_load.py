"""p50/p95 latency of the main API endpoints under 50 concurrent clients on a store of 100k generated
reports (target p95 <= 100 ms). Server (`escwatch serve`) and load generator run on this machine.

The store is generated in bulk (reports of 120 words drawn from a Zipf-like vocabulary, with mentions
and indicator hits, stories, stored observations and index days), so no analysis runs; searches ask
for two middling words; the search index is warmed before measuring.

    python benchmarks/api_load.py [--reports 100000] [--clients 50] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from escwatch.store import open_store
from escwatch.store.schema import index_days, indicator_hits, mentions, observations, reports, stories

WORDS = ("missile", "train", "warhead", "exercise", "border", "drone", "reactor", "convoy", "brigade", "launcher",
         "alert", "doctrine", "treaty", "submarine", "bomber", "airbase", "storage", "test", "site", "satellite",
         "minister", "spokesman", "statement", "summit")
LANGS = ("en", "nl", "de", "fr", "pl", "ru", "uk")
INDICATORS = ("nuclear_weapons_movement", "nuclear_exercise", "nuclear_rhetoric", "nuclear_test_activity")
START = datetime(2022, 1, 1, tzinfo=UTC)


VOCAB = [*WORDS, *(f"w{k}" for k in range(3000))]  # a Zipf-like vocabulary: few common words, many rare ones
WEIGHTS = [1 / (rank + 1) for rank in range(len(VOCAB))]
QUERY_WORDS = VOCAB[50:600]  # queries use middling words, as analysts' queries do


def generate(url: str, n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    store = open_store(url)
    ids, n_stories = [], max(1, n // 10)
    with store.engine.begin() as conn:
        for lo in range(0, n, 5000):
            rows, ments, hits = [], [], []
            for i in range(lo, min(n, lo + 5000)):
                rid = f"{i:064x}"
                text = " ".join(rnd.choices(VOCAB, WEIGHTS, k=120)) + f" item{i}"
                when = START + timedelta(minutes=i * 5)
                rows.append({"id": rid, "source": f"gen/{i}", "url": f"https://example.org/{i}", "title": f"Report {i}",
                             "outlet": f"Outlet {i % 150}", "published": when, "published_source": "meta",
                             "language": LANGS[i % 7], "raw_text": text, "text": text,
                             "story": f"s-{i % n_stories:012x}", "ingested_at": when, "links": []})
                ments.append({"report_id": rid, "seq": 0, "entity_id": "vladimir_putin", "name": "Vladimir Putin",
                              "type": "person", "text": "Putin", "start": 0, "end": 5})
                hits.append({"report_id": rid, "seq": 0, "indicator": INDICATORS[i % 4], "confidence": 0.8,
                             "roles": [], "text": text[:80], "start": 0, "end": 80})
                ids.append(rid)
            conn.execute(insert(reports), rows)
            conn.execute(insert(mentions), ments)
            conn.execute(insert(indicator_hits), hits)
        now = datetime.now(UTC)
        conn.execute(insert(stories), [{"id": f"s-{k:012x}", "title": f"Story {k}", "first_seen": START,
                                         "last_seen": START, "size": 10, "languages": list(LANGS[:3]),
                                         "outlets": ["Outlet 1"], "origins": [], "independent_origins": k % 5,
                                         "updated_at": now} for k in range(n_stories)])
        conn.execute(insert(observations), [{
            "id": f"o-{k:010x}", "story_id": f"s-{k:012x}", "indicator": INDICATORS[k % 4], "day": "2022-03-01",
            "event_day": "2022-03-01", "last_day": "2022-03-02", "reliability": "B", "credibility": 2,
            "credibility_reason": "generated", "baseline": "outside", "inside": 0, "origins": ["A"], "denials": [],
            "countries": ["RU"], "supports": [{"report_id": ids[k], "sentence": "generated", "start": 0, "end": 9,
                                               "places": [["Moscow", "RU", 55.75, 37.62]]}]}
            for k in range(min(n_stories, 2000))])
        conn.execute(insert(index_days), [{
            "scope": "all", "day": (date(2022, 1, 1) + timedelta(days=d)).isoformat(), "value": rnd.random() * 8,
            "posteriors": {"routine": 0.5, "coercive_signal": 0.4, "preparation": 0.1}, "contributions": [],
            "updated_at": now} for d in range(365)])
    store.close()
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def load(base: str, ids: list[str], clients: int, total: int) -> dict[str, list[float]]:
    rnd = random.Random(1)
    paths = {
        "overview": lambda: "/api/overview",
        "stories": lambda: f"/api/stories?page={rnd.randint(1, 200)}&size=20",
        "report": lambda: f"/api/reports/{rnd.choice(ids)}",
        "search": lambda: f"/api/search?q={rnd.choice(QUERY_WORDS)}+{rnd.choice(QUERY_WORDS)}&size=20",
        "observations": lambda: f"/api/observations?page={rnd.randint(1, 50)}&size=20",
    }
    names = list(paths)
    times: dict[str, list[float]] = {k: [] for k in names}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(names[i % len(names)])

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            name = queue.get_nowait()
            t0 = time.perf_counter()
            r = await http.get(paths[name]())
            times[name].append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise SystemExit(f"{name}: HTTP {r.status_code} {r.text[:200]}")

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=1, help="server processes (escwatch serve --workers)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="escwatch-api-"))
    db = tmp / "load.db"
    t0 = time.perf_counter()
    ids = generate(f"sqlite:///{db}", args.reports)
    print(f"store: {args.reports} generated reports in {time.perf_counter() - t0:.1f} s")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "escwatch", "--db", str(db), "serve", "--port", str(port),
                               "--workers", str(args.workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        t0 = time.perf_counter()
        httpx.get(base + "/api/search?q=missile", timeout=600)  # builds the full-text index once
        print(f"search index warmed in {time.perf_counter() - t0:.1f} s")
        asyncio.run(load(base, ids, args.clients, 20 * args.workers * 5))  # warm-up: every process loads its models
        t0 = time.perf_counter()
        times = asyncio.run(load(base, ids, args.clients, args.requests))
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(30)
    rate = args.requests / wall
    print(f"{args.requests} requests, {args.clients} concurrent clients, {args.workers} server processes, "
          f"{wall:.1f} s ({rate:.0f} req/s)")
    print(f"{'endpoint':<14}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}")
    every: list[float] = []
    for name, ts in times.items():
        every += ts
        q = statistics.quantiles(ts, n=20)
        print(f"{name:<14}{len(ts):>6}{statistics.median(ts):>10.1f}{q[18]:>10.1f}")
    q = statistics.quantiles(every, n=20)
    print(f"{'all':<14}{len(every):>6}{statistics.median(every):>10.1f}{q[18]:>10.1f}   (target p95 <= 100 ms)")


if __name__ == "__main__":
    main()
