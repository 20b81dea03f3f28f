"""The atheris harnesses in fuzz/ run briefly (from their seed corpus, regression inputs included) and exit
cleanly: no crash, no failed invariant. Longer runs by hand: fuzz/README.md."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"


@pytest.mark.parametrize(("harness", "corpus", "seconds"), [("fuzz_text.py", "text", 10), ("fuzz_feed.py", "feed", 5)])
def test_harness_runs_clean(harness: str, corpus: str, seconds: int, tmp_path: Path) -> None:
    work = tmp_path / "corpus"  # new inputs go here, never into the committed corpus
    work.mkdir()
    seeds = sorted((FUZZ / "corpus" / corpus).iterdir())
    assert seeds, "the seed corpus is committed"
    done = subprocess.run([sys.executable, str(FUZZ / harness), str(work), str(FUZZ / "corpus" / corpus),
                           f"-max_total_time={seconds}", "-runs=2000000", "-max_len=8192", "-rss_limit_mb=4096",
                           f"-artifact_prefix={tmp_path}/", "-print_final_stats=1"],
                          capture_output=True, text=True, timeout=seconds + 180, cwd=tmp_path)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    assert not list(tmp_path.glob("crash-*")) and "ERROR: libFuzzer" not in log, log[-4000:]
    runs = int(re.search(r"stat::number_of_executed_units:\s*(\d+)", log).group(1))  # type: ignore[union-attr]
    assert runs >= len(seeds), f"only {runs} executions"
    shutil.rmtree(work)
