"""Time from an item appearing in a local feed to its alert being written, with `escwatch watch`.

A feed is served on loopback; `escwatch watch` follows it with a 1 s poll interval and a file alert
channel (rule: a new indicator type). After a warm-up cycle, entries that each bring a new indicator
are added one at a time, and the time until the alert line appears is measured (target <= 5 s).
The feed's entries are written by the team.

    python benchmarks/watch_latency.py [--interval 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from webserver import Web, serve

WARMUP = ("The city council of a small northern town approved a new budget for road repairs and school "
          "buildings on Monday, after a long debate about parking fees in the centre.")
PROBES = [
    "A train of Russia's 12th Main Directorate, the unit that moves nuclear warheads, was filmed heading west "
    "near Tver on Monday, according to a video posted online.",
    "Russia could carry out a nuclear test at the Novaya Zemlya test site, Western officials warned on Monday, "
    "citing satellite images of new activity at the site.",
    "Russia's Strategic Rocket Forces were put on high alert and Yars mobile launchers left their bases, the "
    "defence ministry said on Monday.",
]


def feed(texts: list[str]) -> bytes:
    now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    items = "".join(f"<item><guid>p{i}</guid><title>Item {i}</title><pubDate>{now}</pubDate>"
                    f"<description>{t}</description></item>" for i, t in enumerate(texts))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench Wire</title>{items}</channel></rss>'.encode()


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--interval", type=float, default=1.0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="escwatch-latency-"))
    web = Web(tmp)
    srv, _ = serve(web)
    texts = [WARMUP]
    web.files["/feed.xml"] = feed(texts)
    alerts = tmp / "alerts.jsonl"
    (tmp / "escwatch.toml").write_text(
        '[[alerts.rules]]\nname = "new-indicator"\nkind = "new_indicator"\n\n'
        f'[[alerts.channels]]\nname = "file"\nkind = "file"\npath = "{alerts}"\n', encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "escwatch", "--config", str(tmp / "escwatch.toml"), "--db",
                             str(tmp / "w.db"), "watch", "--feed", web.url("/feed.xml"), "--allow-private",
                             "--interval", str(args.interval)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 300
        assert proc.stderr is not None
        while time.monotonic() < deadline:  # warm-up: models loaded, first item stored and grouped
            line = proc.stderr.readline()
            if line.startswith("cycle 1:"):
                break
        time.sleep(args.interval)
        out = []
        for text in PROBES:
            before = lines(alerts)
            texts.append(text)
            t0 = time.monotonic()
            web.files["/feed.xml"] = feed(texts)
            while lines(alerts) == before and time.monotonic() - t0 < 60:
                time.sleep(0.02)
            out.append(time.monotonic() - t0)
    finally:
        proc.terminate()
        proc.wait(30)
        srv.shutdown()
    print(f"poll interval: {args.interval:.1f} s; items: {len(out)}")
    print("latency item -> alert (s): " + ", ".join(f"{x:.2f}" for x in out))
    print(f"median {statistics.median(out):.2f} s, max {max(out):.2f} s (target <= 5 s)")


if __name__ == "__main__":
    main()
