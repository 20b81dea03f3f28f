"""p50/p95 latency of the main API endpoints under 50 concurrent clients on a store of 100k generated
reports (target p95 <= 100 ms). Server (`escwatch serve`) and load generator run on this machine.

The store is generated in bulk (reports of 120 words drawn from a Zipf-like vocabulary, with mentions
and indicator hits, stories, stored observations and index days), so no analysis runs; searches ask
for two middling words; the search index is warmed before measuring.

Each client is one keep-alive connection that sends its next request as soon as it has the answer (a
closed loop: latency = concurrency / throughput), over five endpoints in turn with varied parameters
(random story and observation pages, random report ids, random word pairs).

Changes (this session): the clients are a minimal HTTP/1.1 client (``Connection``) instead of httpx,
which spent ~4 ms of CPU per request, more than the server, on the same 2 cores; ``--db`` reuses a
store generated before (``--reports`` is then ignored). Endpoints, parameters and counts are unchanged.

    python benchmarks/api_load.py [--reports 100000] [--clients 50] [--requests 10000] [--workers 2] [--db F]
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
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select

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


def stored_ids(url: str) -> list[str]:
    store = open_store(url)
    with store.engine.connect() as conn:
        ids = list(conn.execute(select(reports.c.id).order_by(reports.c.id)).scalars())
    store.close()
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Connection:
    """A minimal HTTP/1.1 keep-alive client on one connection: GET, status and body by Content-Length.
    (httpx spent ~4 ms of CPU per request, more than the server: on a shared 2-core machine it measured
    itself. This costs ~0.1 ms and times the same round trip: request written to response body read.)"""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" not in fields:
            raise SystemExit(f"GET {path}: no Content-Length ({fields.get('transfer-encoding')})")
        body = await self.reader.readexactly(int(fields["content-length"]))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def timed_get(self, path: str) -> tuple[int, bytes, float]:
        """(status, body, milliseconds); a broken connection is status 0 and is reopened next time."""
        t0 = time.perf_counter()
        try:
            status, body = await self.get(path)
        except (OSError, asyncio.IncompleteReadError) as exc:
            status, body = 0, repr(exc).encode()
            await self.close()
        return status, body, (time.perf_counter() - t0) * 1000

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


def request_paths(ids: list[str], seed: int = 1) -> dict[str, Callable[[], str]]:
    """The endpoints under load, each with varied parameters."""
    rnd = random.Random(seed)
    return {
        "overview": lambda: "/api/overview",
        "stories": lambda: f"/api/stories?page={rnd.randint(1, 200)}&size=20",
        "report": lambda: f"/api/reports/{rnd.choice(ids)}",
        "search": lambda: f"/api/search?q={rnd.choice(QUERY_WORDS)}+{rnd.choice(QUERY_WORDS)}&size=20",
        "observations": lambda: f"/api/observations?page={rnd.randint(1, 50)}&size=20",
    }


async def load(base: str, ids: list[str], clients: int, total: int,
               errors: list[str] | None = None, seed: int = 1) -> dict[str, list[float]]:
    """``total`` requests over the endpoints in turn from ``clients`` connections, each sending its next
    request as soon as it has the answer; latencies in ms per endpoint. A non-200 answer stops the run,
    or is appended to ``errors`` when given. ``seed`` draws the parameters."""
    paths = request_paths(ids, seed)
    names = list(paths)
    times: dict[str, list[float]] = {k: [] for k in names}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(names[i % len(names)])
    host, port = base.removeprefix("http://").rsplit(":", 1)

    async def client() -> None:
        conn = Connection(host, int(port))
        try:
            while not queue.empty():
                name = queue.get_nowait()
                path = paths[name]()
                status, body, ms = await conn.timed_get(path)
                times[name].append(ms)
                if status != 200:
                    if errors is None:
                        raise SystemExit(f"{name}: HTTP {status} {body[:200]!r}")
                    errors.append(f"{path}: HTTP {status} {body[:200]!r}")
        finally:
            await conn.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=1, help="server processes (escwatch serve --workers)")
    ap.add_argument("--db", type=Path, help="reuse a store this script generated before (made when missing)")
    args = ap.parse_args()
    db = args.db or Path(tempfile.mkdtemp(prefix="escwatch-api-")) / "load.db"
    t0 = time.perf_counter()
    if db.exists():
        ids = stored_ids(f"sqlite:///{db}")
        print(f"store: {len(ids)} generated reports reused from {db}")
    else:
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
        # warm-up (every process loads its models), with other parameters than the measured run: the
        # measured requests must not find answers the warm-up left in the response cache
        asyncio.run(load(base, ids, args.clients, 20 * args.workers * 5, seed=2))
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
