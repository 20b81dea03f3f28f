"""The short soak run (benchmarks/soak.py --short): watch + serve + load on loopback for half a minute."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_short_soak(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--short", "--json",
                          "--dir", str(tmp_path)], capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert not out["died"], out
    assert out["http_errors"] == 0, out["error_examples"]
    assert out["watch"]["failed"] == 0 and out["watch"]["error_lines"] == 0, out["stderr"]
    assert out["watch"]["cycles"] >= 3 and out["ingested"] >= 10  # the writer's files arrived while serving
    assert out["reports_end"] >= out["files_written"] - 5  # all but the last few written files are in
    assert out["requests"] > 100 and out["latency_end"]["p95"] is not None
    for name in ("watch", "serve"):  # lenient: half a minute must not double the memory of a warm process
        m = out[name]
        assert m["end_mb"] <= 2 * m["start_mb"] + 100, (name, m)
