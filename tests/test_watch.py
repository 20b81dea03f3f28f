"""watch as a real process: killed with SIGKILL mid-batch and restarted, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from escwatch.config import Settings

N_FILES = 120
N_ENTRIES = 30
CITIES = ["Kaliningrad", "Pskov", "Murmansk", "Saratov", "Tver", "Kursk", "Belgorod", "Orenburg"]


def _corpus(folder: Path) -> None:
    folder.mkdir()
    for i in range(N_FILES):
        city = CITIES[i % len(CITIES)]
        (folder / f"r{i:03d}.txt").write_text(
            f"Item {i}. Local officials in {city} said on day {i} that a convoy of {i + 3} military trucks passed "
            f"through the town at night. Residents filmed the vehicles and posted clip number {i * 7} online.",
            encoding="utf-8")


def _feed(n: int) -> bytes:
    items = "".join(
        f"<item><guid>e{i}</guid><title>Entry {i}</title><pubDate>Tue, 11 Jul 2023 0{i % 10}:00:00 GMT</pubDate>"
        f"<description>Entry number {i} of the loopback wire: the regional governor said repair works on bridge "
        f"{i} would finish in {i + 2} weeks, and traffic on road {i * 3} would be diverted until then.</description>"
        f"</item>" for i in range(n))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>'.encode()


def _watch(db: str, folder: Path, feed: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "escwatch", "--db", str(db), "watch", "--folder", str(folder),
                             "--feed", feed, "--allow-private", "--interval", "0.2", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


_ENGINES: dict[str, Engine] = {}


def _count(db: str, sql: str) -> int:
    """A count straight from the store (SQLite file or PostgreSQL), 0 while its tables do not exist yet."""
    if "://" not in db and not Path(db).exists():
        return 0
    engine = _ENGINES.get(db) or _ENGINES.setdefault(db, create_engine(Settings(db=db).db_url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    except DBAPIError:  # tables not created yet
        return 0



def test_kill_minus_9_then_restart_stores_every_item_once(web, tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    folder, db = tmp_path / "inbox", db_url
    _corpus(folder)
    web.files["/wire.xml"] = _feed(N_ENTRIES)
    proc = _watch(db, folder, web.url("/wire.xml"))
    deadline = time.monotonic() + 180
    while _count(db, "select count(*) from reports") < 20 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    stored_at_kill = _count(db, "select count(*) from reports")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert 0 < stored_at_kill < N_FILES + N_ENTRIES, "the kill should land mid-run"
    done = subprocess.run([sys.executable, "-m", "escwatch", "--db", str(db), "watch", "--folder", str(folder),
                           "--feed", web.url("/wire.xml"), "--allow-private", "--once"],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _count(db, "select count(*) from reports") == N_FILES + N_ENTRIES
    assert _count(db, "select count(distinct source) from reports") == N_FILES + N_ENTRIES
    assert _count(db, "select count(*) from errors") == 0
    assert _count(db, "select count(*) from seen_items where status = 'stored'") == N_FILES + N_ENTRIES
    again = subprocess.run([sys.executable, "-m", "escwatch", "--db", str(db), "watch", "--folder", str(folder),
                            "--feed", web.url("/wire.xml"), "--allow-private", "--once"],
                           capture_output=True, text=True, timeout=180)
    assert "new 0" in again.stderr + again.stdout and _count(db, "select count(*) from reports") == N_FILES + N_ENTRIES


def test_sigterm_stops_cleanly_and_resumes(web, tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    folder, db = tmp_path / "inbox", db_url
    _corpus(folder)
    web.files["/wire.xml"] = _feed(5)
    proc = _watch(db, folder, web.url("/wire.xml"))
    deadline = time.monotonic() + 180
    while _count(db, "select count(*) from reports") < 10 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert "SIGTERM" in output and "stopped after" in output
    subprocess.run([sys.executable, "-m", "escwatch", "--db", str(db), "watch", "--folder", str(folder),
                    "--feed", web.url("/wire.xml"), "--allow-private", "--once"], capture_output=True, timeout=180,
                   check=True)
    assert _count(db, "select count(*) from reports") == N_FILES + 5
